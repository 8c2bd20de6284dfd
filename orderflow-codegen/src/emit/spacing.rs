//! prettyplease output with a blank line between items, as progenitor's `space_out_items` adds
//! them (prettyplease itself never writes blank lines).
//!
//! progenitor inserts them with a regular expression over the printed text. Here each item is
//! printed on its own, at the depth where it sits, and the printed items are joined, so a `}`
//! inside a function body or a string can never be taken for the end of an item. Inline modules
//! are spaced recursively, and so are the members of `impl` and `trait` blocks. Consecutive `use`
//! declarations, `mod x;` declarations and associated types or constants stay together as one
//! block, which is also how rustfmt (which sorts a block of `use`s) expects them.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The name of the throwaway modules an item is wrapped in to print it at its depth.
const WRAPPER: &str = "__orderflow_spacing";

/// Prints `file` like `prettyplease::unparse`, with blank lines between items.
pub fn unparse(file: &syn::File) -> String {
    // The inner attributes (`//!` docs) alone, as prettyplease prints them.
    let attrs = &file.attrs;
    let mut out = syn::parse2::<syn::File>(quote!(#(#attrs)*))
        .map(|inner| prettyplease::unparse(&inner))
        .unwrap_or_default();
    let items = items(&file.items, 0);
    if !out.is_empty() && !items.is_empty() {
        out.push('\n');
    }
    out.push_str(&items);
    out
}

/// How an item groups with its neighbours: items of the same kind that are one-line
/// declarations stay together; everything else is set apart.
#[derive(PartialEq, Eq)]
enum Group {
    Use,
    ModDeclaration,
    Associated,
    Alone,
}

fn item_group(item: &syn::Item) -> Group {
    match item {
        syn::Item::Use(_) => Group::Use,
        syn::Item::Mod(m) if m.content.is_none() => Group::ModDeclaration,
        _ => Group::Alone,
    }
}

/// `items` printed at `depth`, separated by blank lines (except within a group).
fn items(items: &[syn::Item], depth: usize) -> String {
    let printed = items
        .iter()
        .map(|item| (item_group(item), item_text(item, depth)));
    join(printed)
}

fn join(printed: impl Iterator<Item = (Group, String)>) -> String {
    let mut out = String::new();
    let mut previous: Option<Group> = None;
    for (group, text) in printed {
        if let Some(previous) = &previous {
            if *previous != group || group == Group::Alone {
                out.push('\n');
            }
        }
        out.push_str(&text);
        previous = Some(group);
    }
    out
}

/// One item as prettyplease prints it at `depth`, its own contents spaced out.
fn item_text(item: &syn::Item, depth: usize) -> String {
    match item {
        syn::Item::Mod(module) => {
            if let Some((_, content)) = &module.content {
                let header = reparsed::<syn::ItemMod>(module).map(|mut m| {
                    if let Some((_, items)) = &mut m.content {
                        items.clear();
                    }
                    m
                });
                if let Some(header) = header {
                    return with_body(&at_depth(&header, depth), &items(content, depth + 1), depth);
                }
            }
        }
        syn::Item::Impl(block) if block.items.len() > 1 => {
            if let Some(header) = reparsed::<syn::ItemImpl>(block).map(|mut b| {
                b.items.clear();
                b
            }) {
                let members = block.items.iter().map(|member| {
                    let group = match member {
                        syn::ImplItem::Type(_) | syn::ImplItem::Const(_) => Group::Associated,
                        _ => Group::Alone,
                    };
                    (group, member_text(quote!(impl __Wrapper), member, depth))
                });
                return with_body(&at_depth(&header, depth), &join(members), depth);
            }
        }
        syn::Item::Trait(block) if block.items.len() > 1 => {
            if let Some(header) = reparsed::<syn::ItemTrait>(block).map(|mut b| {
                b.items.clear();
                b
            }) {
                let members = block.items.iter().map(|member| {
                    let group = match member {
                        syn::TraitItem::Type(_) | syn::TraitItem::Const(_) => Group::Associated,
                        _ => Group::Alone,
                    };
                    (group, member_text(quote!(trait __Wrapper), member, depth))
                });
                return with_body(&at_depth(&header, depth), &join(members), depth);
            }
        }
        _ => {}
    }
    at_depth(item, depth)
}

/// A copy of a syntax node (syn is built without `clone-impls`).
fn reparsed<T: syn::parse::Parse>(node: &impl ToTokens) -> Option<T> {
    syn::parse2(node.to_token_stream()).ok()
}

/// `header` printed as `… {}` (an empty module or block) opened around `body`.
fn with_body(header: &str, body: &str, depth: usize) -> String {
    let header = header.trim_end();
    let Some(open) = header.strip_suffix("{}") else {
        // Not the shape prettyplease prints an empty block in: leave the item unspaced.
        return format!("{header}\n");
    };
    format!("{open}{{\n{body}{}}}\n", indent(depth))
}

fn indent(depth: usize) -> String {
    "    ".repeat(depth)
}

/// `item` as prettyplease prints it when nested `depth` modules deep: the line breaks depend
/// on the indentation, so it is printed inside that many throwaway modules, which are then cut.
fn at_depth(item: &impl ToTokens, depth: usize) -> String {
    wrapped(item.to_token_stream(), depth, 0).unwrap_or_default()
}

/// An `impl`/`trait` member at the depth of its block's body (`depth + 1`).
fn member_text(block: TokenStream, member: &impl ToTokens, depth: usize) -> String {
    let tokens = quote!(#block { #member });
    wrapped(tokens, depth, 1).unwrap_or_default()
}

/// Prints `tokens` inside `depth` wrapper modules and cuts the `depth + extra` opening and
/// closing lines around them (each wrapper opens and closes on a line of its own).
fn wrapped(tokens: TokenStream, depth: usize, extra: usize) -> Option<String> {
    let wrapper = syn::Ident::new(WRAPPER, proc_macro2::Span::call_site());
    let mut tokens = tokens;
    for _ in 0..depth {
        tokens = quote!(mod #wrapper { #tokens });
    }
    let file: syn::File = syn::parse2(tokens).ok()?;
    let printed = prettyplease::unparse(&file);
    let lines: Vec<&str> = printed.lines().collect();
    let cut = depth + extra;
    let inner = lines.get(cut..lines.len().checked_sub(cut)?)?;
    let mut out = inner.join("\n");
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaced(tokens: TokenStream) -> String {
        unparse(&syn::parse2(tokens).expect("a file"))
    }

    #[test]
    fn items_are_separated_by_one_blank_line() {
        let out = spaced(quote! {
            //! The module.
            use a::b;
            use c::d;
            pub struct A { pub x: u32 }
            impl A {
                pub const N: u32 = 1;
                pub const M: u32 = 2;
                pub fn f(&self) -> u32 { if self.x > 1 { 1 } else { 2 } }
                pub fn g(&self) {}
            }
            pub mod inner {
                pub mod one;
                pub mod two;
                pub trait T {
                    type X;
                    fn f(&self);
                    fn g(&self) {}
                }
                pub enum E { A, B }
            }
        });
        let expected = "\
//! The module.

use a::b;
use c::d;

pub struct A {
    pub x: u32,
}

impl A {
    pub const N: u32 = 1;
    pub const M: u32 = 2;

    pub fn f(&self) -> u32 {
        if self.x > 1 { 1 } else { 2 }
    }

    pub fn g(&self) {}
}

pub mod inner {
    pub mod one;
    pub mod two;

    pub trait T {
        type X;

        fn f(&self);

        fn g(&self) {}
    }

    pub enum E {
        A,
        B,
    }
}
";
        assert_eq!(out, expected);
    }

    /// Items nested in modules break their lines where prettyplease breaks them at that depth.
    #[test]
    fn nested_items_are_printed_at_their_depth() {
        let nested = quote! {
            pub mod outer {
                pub fn function_with_a_long_name(first_argument: u32, second_argument: u32) -> u32 { first_argument }
            }
        };
        let file: syn::File = syn::parse2(nested.clone()).expect("a file");
        assert_eq!(
            spaced(nested).replace("\n\n", "\n"),
            prettyplease::unparse(&file)
        );
    }

    #[test]
    fn the_text_is_prettyplease_s_apart_from_blank_lines() {
        let tokens = quote! {
            #![doc = " A file."]
            #[derive(Debug)]
            pub struct S(pub u32);
            impl S { fn a(&self) {} fn b(&self) {} }
            pub mod m { pub fn f() {} pub fn g() {} }
        };
        let file: syn::File = syn::parse2(tokens.clone()).expect("a file");
        let plain = prettyplease::unparse(&file);
        let out = spaced(tokens);
        let without_blanks: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
        let plain_lines: Vec<&str> = plain.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(without_blanks, plain_lines);
        assert!(
            out.contains(
                "pub struct S(pub u32);\n\nimpl S {\n    fn a(&self) {}\n\n    fn b(&self) {}\n}\n"
            ),
            "{out}"
        );
    }
}
