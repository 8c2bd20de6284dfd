//! `#[derive(StepError)]`: an error enum whose variants are the ASL error names a function
//! raises. `orderflow-macros` is a thin shell over [`derive_step_error`], as it is over
//! [`crate::derive::derive_step`] for the payload derives.
//!
//! The generated error modules used to spell out the same four impls for every function; the
//! derive writes them from the variants' `#[step(...)]` attributes instead:
//!
//! - `StepError`: each `#[step(error = "BookNotFound")]` variant reports that exact name, which
//!   is what Retry/Catch `ErrorEquals` compare; the `#[step(other)]` variant reports its
//!   `error_type` field.
//! - `Display` (the `Cause` Step Functions records): a newtype variant shows its field, a unit
//!   variant its doc comment (or its error name without one), the `other` variant its `message`.
//! - `std::error::Error`, and `From<Enum> for orderflow_runtime::Diagnostic` so a Lambda handler
//!   reports the same names.
//! - With an `other` variant, `From<T>` for every `T: orderflow_runtime::OtherError`, so `?`
//!   turns a storage error (or a `StepFailure`) into `Other` in any handler. The bound is that
//!   trait and not `StepError` because the enum itself implements `StepError`, and a blanket
//!   `From<T: StepError>` would overlap with core's `From<T> for T`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Variant};

/// Expands `#[derive(StepError)]`; problems become `compile_error!`s on the offending tokens.
pub fn derive_step_error(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(errors) => errors.to_compile_error(),
    }
}

/// What a `#[step(...)]` attribute on a variant says.
enum Role {
    /// `#[step(error = "…")]`: reported under this ASL error name.
    Named { name: String },
    /// `#[step(other)]`: the fallback carrying any other name.
    Other,
}

/// How a variant is matched and displayed.
struct Arm {
    /// The pattern `error_type` matches (binding only what it reads, so no unused bindings).
    type_pattern: TokenStream,
    error_type: TokenStream,
    /// The pattern `fmt` matches.
    display_pattern: TokenStream,
    display: TokenStream,
}

fn expand(tokens: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(tokens.clone())?;
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(StepError)] is for enums: one variant per ASL error name, \
             `#[step(error = \"BookNotFound\")]` on each",
        ));
    };
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut arms = Vec::new();
    let mut other: Option<&Variant> = None;
    // Error name → the variant that first claimed it.
    let mut names: HashMap<String, &syn::Ident> = HashMap::new();
    for variant in &data.variants {
        let role = match role(variant) {
            Ok(role) => role,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let result = match role {
            Role::Named { name } => {
                if let Some(first) = names.get(&name) {
                    errors.push(syn::Error::new(
                        variant.ident.span(),
                        format!(
                            "`{name}` is already the error name of variant `{first}`: Retry/Catch \
                             could not tell the two apart"
                        ),
                    ));
                    continue;
                }
                names.insert(name.clone(), &variant.ident);
                named_arm(variant, &name)
            }
            Role::Other => {
                if let Some(first) = other {
                    errors.push(syn::Error::new(
                        variant.ident.span(),
                        format!(
                            "only one variant can be `#[step(other)]`; `{}` already is",
                            first.ident
                        ),
                    ));
                    continue;
                }
                other = Some(variant);
                other_arm(variant)
            }
        };
        match result {
            Ok(arm) => arms.push(arm),
            Err(e) => errors.push(e),
        }
    }
    let mut errors = errors.into_iter();
    if let Some(mut combined) = errors.next() {
        combined.extend(errors);
        return Err(combined);
    }

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let type_patterns = arms.iter().map(|a| &a.type_pattern);
    let display_patterns = arms.iter().map(|a| &a.display_pattern);
    let error_types = arms.iter().map(|a| &a.error_type);
    let displays = arms.iter().map(|a| &a.display);
    // `match self {}` does not compile for a reference to an empty enum; `*self` does.
    let scrutinee = if arms.is_empty() {
        quote!(*self)
    } else {
        quote!(self)
    };
    let from_other = match other {
        // syn is built without `clone-impls`: a second parse gives generics to extend.
        Some(variant) => from_other(&input, syn::parse2(tokens)?, &variant.ident),
        None => TokenStream::new(),
    };
    Ok(quote! {
        impl #impl_generics ::orderflow_runtime::StepError for #ident #ty_generics #where_clause {
            fn error_type(&self) -> &str {
                match #scrutinee {
                    #(#type_patterns => #error_types,)*
                }
            }
        }

        impl #impl_generics ::core::fmt::Display for #ident #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match #scrutinee {
                    #(#display_patterns => #displays,)*
                }
            }
        }

        impl #impl_generics ::std::error::Error for #ident #ty_generics #where_clause {}

        impl #impl_generics ::core::convert::From<#ident #ty_generics> for ::orderflow_runtime::Diagnostic #where_clause {
            fn from(error: #ident #ty_generics) -> Self {
                ::orderflow_runtime::diagnostic(&error)
            }
        }

        #from_other
    })
}

/// Reads the variant's `#[step(...)]` attributes.
fn role(variant: &Variant) -> syn::Result<Role> {
    let mut name: Option<(String, Span)> = None;
    let mut other: Option<Span> = None;
    let mut seen = false;
    for attr in variant.attrs.iter().filter(|a| a.path().is_ident("step")) {
        seen = true;
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("error") {
                let value: syn::LitStr = meta.value()?.parse()?;
                if name.is_some() {
                    return Err(meta.error("`error` is given twice"));
                }
                name = Some((value.value(), value.span()));
            } else if meta.path.is_ident("other") {
                if other.is_some() {
                    return Err(meta.error("`other` is given twice"));
                }
                other = Some(meta.path.span());
            } else {
                return Err(meta.error("expected `error = \"<ASL error name>\"` or `other`"));
            }
            Ok(())
        })?;
    }
    match (name, other) {
        (Some(_), Some(span)) => Err(syn::Error::new(
            span,
            "a variant is either `#[step(error = \"…\")]` or `#[step(other)]`, not both: the \
             `other` variant takes its error name from its `error_type` field",
        )),
        (Some((name, span)), None) => {
            check_error_name(&name, span)?;
            Ok(Role::Named { name })
        }
        (None, Some(_)) => Ok(Role::Other),
        (None, None) => Err(syn::Error::new(
            variant.ident.span(),
            format!(
                "variant `{}` needs `#[step(error = \"<ASL error name>\")]`, the name Retry/Catch \
                 match{}; or `#[step(other)]` for the fallback `Other {{ error_type, message }}`",
                variant.ident,
                if seen {
                    " (the attribute is empty)"
                } else {
                    ""
                }
            ),
        )),
    }
}

/// An error name a function can raise: not empty, and not one of the names Step Functions
/// reserves for its own errors (a Catch on `States.Timeout` means the service's timeout).
fn check_error_name(name: &str, span: Span) -> syn::Result<()> {
    if name.trim().is_empty() {
        return Err(syn::Error::new(span, "the error name is empty"));
    }
    if name.starts_with("States.") {
        return Err(syn::Error::new(
            span,
            format!(
                "`{name}`: `States.` names are Step Functions' own errors, which a function \
                 cannot raise; name the error without the prefix"
            ),
        ));
    }
    Ok(())
}

fn named_arm(variant: &Variant, name: &str) -> syn::Result<Arm> {
    let ident = &variant.ident;
    match &variant.fields {
        Fields::Unit => {
            // A unit variant has no message of its own: its doc comment is the cause.
            let text = doc_text(&variant.attrs).unwrap_or_else(|| name.to_owned());
            Ok(Arm {
                type_pattern: quote!(Self::#ident),
                error_type: quote!(#name),
                display_pattern: quote!(Self::#ident),
                display: quote!(f.write_str(#text)),
            })
        }
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            let field = &fields.unnamed[0];
            // Spanned on the field type, so a type without Display is reported there.
            let display = quote_spanned! {field.ty.span()=>
                ::core::fmt::Display::fmt(message, f)
            };
            Ok(Arm {
                type_pattern: quote!(Self::#ident(..)),
                error_type: quote!(#name),
                display_pattern: quote!(Self::#ident(message)),
                display,
            })
        }
        _ => Err(syn::Error::new(
            variant.fields.span(),
            format!(
                "variant `{ident}` carries its message in one unnamed field (`{ident}(String)`), \
                 or in none, when its doc comment is the message"
            ),
        )),
    }
}

fn other_arm(variant: &Variant) -> syn::Result<Arm> {
    let ident = &variant.ident;
    let shape_error = || {
        syn::Error::new(
            variant.ident.span(),
            format!(
                "the `#[step(other)]` variant carries the error name and the message: \
                 `{ident} {{ error_type: String, message: String }}`"
            ),
        )
    };
    let Fields::Named(fields) = &variant.fields else {
        return Err(shape_error());
    };
    let mut names: Vec<String> = fields
        .named
        .iter()
        .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
        .collect();
    names.sort();
    if names != ["error_type", "message"] {
        return Err(shape_error());
    }
    Ok(Arm {
        type_pattern: quote!(Self::#ident { error_type, .. }),
        error_type: quote!(error_type),
        display_pattern: quote!(Self::#ident { message, .. }),
        display: quote!(::core::fmt::Display::fmt(message, f)),
    })
}

/// `impl<T: OtherError> From<T>`: `?` on a store error or a `StepFailure` makes `variant`.
fn from_other(input: &DeriveInput, copy: DeriveInput, variant: &syn::Ident) -> TokenStream {
    let ident = &input.ident;
    let source = format_ident!("__OrderflowOtherError");
    let mut generics = copy.generics;
    generics
        .params
        .push(syn::parse_quote!(#source: ::orderflow_runtime::OtherError));
    let (impl_generics, _, _) = generics.split_for_impl();
    let (_, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::core::convert::From<#source> for #ident #ty_generics #where_clause {
            fn from(error: #source) -> Self {
                let failure = ::orderflow_runtime::OtherError::into_step_failure(error);
                Self::#variant {
                    error_type: failure.error,
                    message: failure.cause,
                }
            }
        }
    }
}

/// The variant's doc comment as one line of text (`///` lines joined by spaces).
fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_text(tokens: TokenStream) -> String {
        derive_step_error(tokens).to_string()
    }

    /// The expansion, parsed back and printed, for assertions that read like the source.
    fn pretty(tokens: TokenStream) -> String {
        let file: syn::File = syn::parse2(derive_step_error(tokens)).expect("the expansion parses");
        prettyplease::unparse(&file)
    }

    #[test]
    fn each_variant_reports_its_asl_error_name_and_other_its_field() {
        let out = pretty(quote! {
            enum CheckInventoryError {
                #[step(error = "BookNotFound")]
                BookNotFound(String),
                #[step(error = "Books.OutOfStock")]
                OutOfStock(String),
                #[step(other)]
                Other { error_type: String, message: String },
            }
        });
        for expected in [
            "impl ::orderflow_runtime::StepError for CheckInventoryError",
            "Self::BookNotFound(..) => \"BookNotFound\"",
            "Self::OutOfStock(..) => \"Books.OutOfStock\"",
            "Self::Other { error_type, .. } => error_type",
            "Self::BookNotFound(message) => ::core::fmt::Display::fmt(message, f)",
            "Self::Other { message, .. } => ::core::fmt::Display::fmt(message, f)",
            "impl ::std::error::Error for CheckInventoryError {}",
            "impl ::core::convert::From<CheckInventoryError> for ::orderflow_runtime::Diagnostic",
            "::orderflow_runtime::diagnostic(&error)",
        ] {
            assert!(out.contains(expected), "no `{expected}` in:\n{out}");
        }
    }

    #[test]
    fn the_other_variant_takes_every_other_error() {
        let out = pretty(quote! {
            enum E {
                #[step(other)]
                Other { message: String, error_type: String },
            }
        });
        assert!(out.contains("From<__OrderflowOtherError> for E"), "{out}");
        assert!(
            out.contains("::orderflow_runtime::OtherError::into_step_failure(error)"),
            "{out}"
        );
        assert!(out.contains("error_type: failure.error"), "{out}");
        assert!(out.contains("message: failure.cause"), "{out}");
    }

    #[test]
    fn without_an_other_variant_nothing_converts_implicitly() {
        let out = expand_text(quote! {
            enum E { #[step(error = "A")] A(String) }
        });
        assert!(!out.contains("OtherError"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_unit_variant_is_displayed_as_its_doc_comment_or_its_name() {
        let out = pretty(quote! {
            enum E {
                /// The book is not in the catalogue.
                /// Check the id.
                #[step(error = "BookNotFound")]
                BookNotFound,
                #[step(error = "Busy")]
                Busy,
            }
        });
        assert!(
            out.contains("f.write_str(\"The book is not in the catalogue. Check the id.\")"),
            "{out}"
        );
        assert!(out.contains("Self::Busy => f.write_str(\"Busy\")"), "{out}");
    }

    #[test]
    fn generic_enums_keep_their_parameters() {
        let out = pretty(quote! {
            enum E<T: Clone> where T: Send {
                #[step(error = "A")] A(T),
                #[step(other)] Other { error_type: String, message: String },
            }
        });
        assert!(
            out.contains("impl<T: Clone> ::orderflow_runtime::StepError for E<T>"),
            "{out}"
        );
        assert!(
            out.contains("for ::orderflow_runtime::Diagnostic\nwhere\n    T: Send,"),
            "{out}"
        );
        assert!(
            out.contains("    T: Clone,\n    __OrderflowOtherError: ::orderflow_runtime::OtherError,\n> ::core::convert::From<__OrderflowOtherError> for E<T>"),
            "{out}"
        );
    }

    #[test]
    fn an_empty_enum_matches_nothing() {
        let out = expand_text(quote! { enum Never {} });
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("match * self { }"), "{out}");
    }

    /// Every misuse is a compile error with a message that says what to write.
    #[test]
    fn misuse_is_reported_not_expanded() {
        let cases = [
            (
                quote! { struct E { a: String } },
                "#[derive(StepError)] is for enums",
            ),
            (
                quote! { enum E { A(String) } },
                "variant `A` needs `#[step(error = \\\"<ASL error name>\\\")]`",
            ),
            (
                quote! { enum E { #[step()] A(String) } },
                "(the attribute is empty)",
            ),
            (
                quote! { enum E { #[step(error = "A")] A(String, u32) } },
                "carries its message in one unnamed field",
            ),
            (
                quote! { enum E { #[step(error = "A")] A { message: String } } },
                "carries its message in one unnamed field",
            ),
            (
                quote! {
                    enum E {
                        #[step(other)] Other { error_type: String, message: String },
                        #[step(other)] Fallback { error_type: String, message: String },
                    }
                },
                "only one variant can be `#[step(other)]`; `Other` already is",
            ),
            (
                quote! { enum E { #[step(other)] Other(String) } },
                "`Other { error_type: String, message: String }`",
            ),
            (
                quote! { enum E { #[step(other)] Other { kind: String, message: String } } },
                "`Other { error_type: String, message: String }`",
            ),
            (
                quote! { enum E { #[step(error = "A", other)] A { error_type: String, message: String } } },
                "not both",
            ),
            (
                quote! { enum E { #[step(error = "A")] A(String), #[step(error = "A")] B(String) } },
                "`A` is already the error name of variant `A`",
            ),
            (
                quote! { enum E { #[step(error = "States.Timeout")] Timeout(String) } },
                "`States.` names are Step Functions' own errors",
            ),
            (
                quote! { enum E { #[step(error = "")] A(String) } },
                "the error name is empty",
            ),
            (
                quote! { enum E { #[step(name = "A")] A(String) } },
                "expected `error = \\\"<ASL error name>\\\"` or `other`",
            ),
            (
                quote! { enum E { #[step(error = "A", error = "B")] A(String) } },
                "`error` is given twice",
            ),
        ];
        for (input, expected) in cases {
            let out = expand_text(input.clone());
            assert!(out.contains("compile_error"), "{input}:\n{out}");
            assert!(out.contains(expected), "{input}: no `{expected}` in\n{out}");
            assert!(
                !out.contains("impl"),
                "{input}: expanded despite errors:\n{out}"
            );
        }
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let out = expand_text(quote! {
            enum E { A(String), #[step(error = "")] B(String) }
        });
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }
}
