//! The `{% … %}` form of JSONata expressions in JSONata states.
//!
//! This checks the delimiters, a non-empty body, balanced brackets, closed string literals and
//! comments, the `$states` fields Step Functions defines and the functions it removes (`$eval`),
//! each at its own offset; then the expression must parse with the parser the executor uses
//! (jsonata-core). Its errors carry no offset, so [`parse_error_offset`] finds one by parsing
//! prefixes.

/// A problem at a byte offset of the string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct TemplateError {
    /// The byte offset of the problem in the string (0 is its first character).
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

const STATES_FIELDS: &[&str] = &["input", "result", "errorOutput", "context"];

/// Brackets nested deeper than this are refused: the JSONata parser recurses on them, and a
/// definition is data, which must not be able to overflow the stack of whoever checks it.
pub const MAX_NESTING: usize = 256;

/// Whether a string is meant as a JSONata expression.
pub fn is_template(text: &str) -> bool {
    text.starts_with("{%")
}

/// The expression of a `{% … %}` string, without its delimiters and surrounding whitespace.
pub fn template_body(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

/// Checks a string in a JSONata-state field. Strings that don't start with `{%` are literals.
pub fn check_template(text: &str) -> Result<(), TemplateError> {
    if !is_template(text) {
        if text.trim_end().ends_with("%}") && text.trim_start().starts_with("{%") {
            return Err(TemplateError {
                offset: 0,
                message: "whitespace before `{%`: the expression must start the string".into(),
            });
        }
        return Ok(());
    }
    let Some(body) = text[2..].strip_suffix("%}") else {
        return Err(TemplateError {
            offset: text.len(),
            message: "expected `%}` at the end of the string".into(),
        });
    };
    if body.trim().is_empty() {
        return Err(TemplateError {
            offset: 2,
            message: "the expression between `{%` and `%}` is empty".into(),
        });
    }
    check_body(body).map_err(|e| TemplateError {
        offset: e.offset + 2,
        message: e.message,
    })?;
    parses(body)
}

/// The evaluator's own parser has the last word.
#[cfg(feature = "jsonata")]
fn parses(body: &str) -> Result<(), TemplateError> {
    match parse_body(body) {
        Ok(_) => Ok(()),
        Err(error) => Err(TemplateError {
            offset: 2 + parse_error_offset(body),
            message: format!("the expression does not parse: {error}"),
        }),
    }
}

/// Without the JSONata parser (the derive macros' build), the lexical checks above are all.
#[cfg(not(feature = "jsonata"))]
fn parses(_body: &str) -> Result<(), TemplateError> {
    Ok(())
}

/// Why jsonata-core did not parse an expression.
#[cfg(feature = "jsonata")]
#[derive(Debug, thiserror::Error)]
pub enum JsonataParseError {
    /// The parser's own error, with its JSONata code (`S0202: …`).
    #[error("{0}")]
    Parser(jsonata_core::parser::ParserError),
    /// The parser panicked on the text; the panic was caught.
    #[error("the JSONata parser failed on this expression")]
    Panicked,
}

#[cfg(feature = "jsonata")]
/// jsonata-core's parser on a body [`check_body`] accepted. A panic in it (a third-party
/// parser given arbitrary text) becomes an error instead of taking the caller down.
pub fn parse_body(body: &str) -> Result<jsonata_core::ast::AstNode, JsonataParseError> {
    parse_raw(body).map_err(|e| e.map_or(JsonataParseError::Panicked, JsonataParseError::Parser))
}

#[cfg(feature = "jsonata")]
/// `None`: the parser panicked.
fn parse_raw(
    body: &str,
) -> Result<jsonata_core::ast::AstNode, Option<jsonata_core::parser::ParserError>> {
    std::panic::catch_unwind(|| jsonata_core::parser::parse(body))
        .map_err(|_| None)?
        .map_err(Some)
}

#[cfg(feature = "jsonata")]
/// Bodies longer than this get no search for the error's offset (it parses every prefix).
const MAX_LOCATED_BODY: usize = 4096;

#[cfg(feature = "jsonata")]
/// Where a body that does not parse goes wrong. jsonata-core reports no offsets, so this parses
/// the prefixes that end at a word (before whitespace, or at the end): the first one that fails
/// for a reason other than ending too early (an open string, a missing operand) ends in the
/// offending word, and the offset is that word's start. When every prefix merely ends too
/// early, so does the whole expression, and the offset is its end.
pub fn parse_error_offset(body: &str) -> usize {
    use jsonata_core::parser::ParserError;
    let trimmed_end = body.trim_end().len();
    let word_start = |end: usize| {
        body[..end]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map_or(0, |(i, c)| i + c.len_utf8())
    };
    let incomplete = |e: &ParserError| match e {
        ParserError::UnexpectedEnd
        | ParserError::UnclosedString
        | ParserError::UnclosedComment
        | ParserError::UnclosedBacktick
        | ParserError::InvalidNumber(_) => true,
        ParserError::Expected { found, .. } => found == "Eof",
        ParserError::UnexpectedToken(token) => token == "Eof",
        _ => false,
    };
    if body.len() > MAX_LOCATED_BODY {
        return body.len() - body.trim_start().len();
    }
    let ends = body
        .char_indices()
        .filter(|&(i, c)| {
            c.is_whitespace()
                && body[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|p| !p.is_whitespace())
        })
        .map(|(i, _)| i)
        .chain([trimmed_end]);
    for end in ends {
        match parse_raw(&body[..end]) {
            Err(Some(e)) if !incomplete(&e) => return word_start(end),
            Err(None) => return word_start(end),
            _ => {}
        }
    }
    trimmed_end
}

/// A read a JSONata expression makes that Step Functions refuses at validation, although the
/// expression parses. Step Functions evaluates every expression with no context item: the state
/// input is `$states.input` and variables are `$name`. So AWS refuses the forms that read the
/// context item (floci-io/floci#2670, #2699) and `$$` (#2745, #2786).
#[cfg(feature = "jsonata")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsupportedReference {
    /// A path whose first step reads the context item: a bare name (`phone`, `phone.number`,
    /// `$sum(phone)`, `{phone: 1}`, `phone(1)`) or the context item itself, named `$` as AWS
    /// names it. AWS: `Reference to 'phone' at the top level is not supported.`
    TopLevel(String),
    /// `$$`. AWS: `Reference to '$$' is not supported.`
    Root,
}

#[cfg(feature = "jsonata")]
/// The [`UnsupportedReference`]s of a parsed expression, each once, in writing order (AWS gives
/// one diagnostic per distinct name).
///
/// "Top level" is where the context item would be the expression's input: the expression
/// itself, operands, function arguments, conditional branches, blocks, array and object
/// constructors (keys too), and lambda bodies (a lambda keeps the context of the expression
/// that defines it). Everything evaluated against a step's items is not: the steps after a
/// path's first, every predicate, sort terms, group-by objects and transform operands. Only a
/// name or `$` is reported: `**` and `*` as a first step are accepted by AWS (`**.phone` was
/// measured), and variables (`$phone`, even unassigned) are not reads of the context item.
/// The cases and their AWS verdicts are in the tests below.
pub fn unsupported_references(ast: &jsonata_core::ast::AstNode) -> Vec<UnsupportedReference> {
    use jsonata_core::ast::{AstNode, Stage};
    let mut found: Vec<UnsupportedReference> = Vec::new();
    let mut add = |r: UnsupportedReference| {
        if !found.contains(&r) {
            found.push(r);
        }
    };
    // An explicit stack, not recursion: operator chains make trees as deep as the text is long.
    // Children are pushed in reverse so they come off in writing order.
    let mut stack: Vec<(&AstNode, bool)> = vec![(ast, true)];
    let mut children: Vec<(&AstNode, bool)> = Vec::new();
    while let Some((node, top)) = stack.pop() {
        match node {
            AstNode::Name(name) if top => add(UnsupportedReference::TopLevel(name.clone())),
            AstNode::Variable(name) if top && name.is_empty() => {
                add(UnsupportedReference::TopLevel("$".into()));
            }
            AstNode::ParentVariable(_) => add(UnsupportedReference::Root),
            AstNode::Path { steps } => {
                for (i, step) in steps.iter().enumerate() {
                    children.push((&step.node, top && i == 0));
                    for stage in &step.stages {
                        if let Stage::Filter(predicate) = stage {
                            children.push((predicate, false));
                        }
                    }
                }
            }
            AstNode::Binary { lhs, rhs, .. } => children.extend([(&**lhs, top), (&**rhs, top)]),
            AstNode::Unary { operand, .. } => children.push((operand, top)),
            AstNode::Function {
                name,
                args,
                is_builtin,
            } => {
                // `phone(1)` calls what the context item's `phone` holds.
                if top && !is_builtin {
                    add(UnsupportedReference::TopLevel(name.clone()));
                }
                children.extend(args.iter().map(|a| (a, top)));
            }
            AstNode::Call { procedure, args } => {
                children.push((procedure, top));
                children.extend(args.iter().map(|a| (a, top)));
            }
            AstNode::Lambda { body, .. } => children.push((body, top)),
            AstNode::FunctionApplication(inner) => children.push((inner, top)),
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                children.extend(items.iter().map(|i| (i, top)));
            }
            AstNode::Object(pairs) => {
                for (key, value) in pairs {
                    children.extend([(key, top), (value, top)]);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                children.push((input, top));
                for (key, value) in pattern {
                    children.extend([(key, false), (value, false)]);
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                children.extend([(&**condition, top), (&**then_branch, top)]);
                children.extend(else_branch.iter().map(|e| (&**e, top)));
            }
            AstNode::Sort { input, terms } => {
                children.push((input, top));
                children.extend(terms.iter().map(|(t, _)| (t, false)));
            }
            // Evaluated against each object the transform is applied to.
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                children.extend([(&**location, false), (&**update, false)]);
                children.extend(delete.iter().map(|d| (&**d, false)));
            }
            _ => {}
        }
        stack.extend(children.drain(..).rev());
    }
    found
}

/// The checks of [`check_template`] on the text between `{%` and `%}` (offsets into `body`),
/// before it is given to the JSONata parser.
pub fn check_body(body: &str) -> Result<(), TemplateError> {
    let bytes = body.as_bytes();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' | b'\'' | b'`' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(TemplateError {
                                offset: start,
                                message: "string literal is not closed".into(),
                            });
                        }
                        Some(b'\\') if c != b'`' => i += 2,
                        Some(&q) if q == c => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match body[i + 2..].find("*/") {
                Some(end) => i += end + 3,
                None => {
                    return Err(TemplateError {
                        offset: i,
                        message: "comment is not closed with `*/`".into(),
                    });
                }
            },
            b'(' | b'[' | b'{' => {
                if stack.len() == MAX_NESTING {
                    return Err(TemplateError {
                        offset: i,
                        message: format!("brackets are nested more than {MAX_NESTING} deep"),
                    });
                }
                stack.push((c, i));
            }
            b')' | b']' | b'}' => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    _ => {
                        return Err(TemplateError {
                            offset: i,
                            message: format!("unexpected `{}`", c as char),
                        });
                    }
                }
            }
            b'$' if body[i..].starts_with("$eval")
                && !body[i + 5..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_') =>
            {
                return Err(TemplateError {
                    offset: i,
                    message: "`$eval` is not available in Step Functions".into(),
                });
            }
            b'$' if body[i..].starts_with("$states.") => {
                let start = i + "$states.".len();
                let name: String = body[start..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !STATES_FIELDS.contains(&name.as_str()) {
                    return Err(TemplateError {
                        offset: start,
                        message: format!(
                            "`$states.{name}` does not exist; `$states` has {}",
                            STATES_FIELDS.join(", ")
                        ),
                    });
                }
                i = start + name.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match stack.pop() {
        Some((o, at)) => Err(TemplateError {
            offset: at,
            message: format!("`{}` is not closed", o as char),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_expressions_and_literals() {
        for ok in [
            "plain text",
            "{% $states.input.a %}",
            "{% $sum($states.input.items.(price * qty)) %}",
            "{% 'a)b' & \"c]\" %}",
            "{% /* (comment */ 1 %}",
            "{% {'a': [1, 2]} %}",
            "{% $states.context.Execution.Id %}",
        ] {
            assert_eq!(check_template(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_expressions_with_offsets() {
        let cases = [
            ("{% $states.input", 16),
            ("{%   %}", 2),
            ("{% (1 + 2 %}", 3),
            ("{% 1 + 2) %}", 8),
            ("{% 'abc %}", 3),
            ("{% $states.inptu.a %}", 11),
            ("{% /* x %}", 3),
            (" {% 1 %}", 0),
            // Balanced and closed, but not JSONata: the parser's error, at the offending word.
            // `1 + *` is a sum with the wildcard; the `2` after it is what does not parse.
            ("{%  1 + * 2 %}", 10),
            // Ends too early: the offset is where the missing operand would be.
            ("{% $states.input.a + %}", 20),
            // Two operands with no operator: the second is where it goes wrong.
            ("{% $states.input.a $states.input.b %}", 19),
            ("{% $states.input.a.. %}", 20),
            ("{% $eval('1') %}", 3),
        ];
        let deep = format!(
            "{{% {}1{} %}}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            check_template(&deep).map_err(|e| e.offset),
            Err(3 + MAX_NESTING)
        );
        for (text, offset) in cases {
            let e = check_template(text).expect_err(text);
            assert_eq!(e.offset, offset, "{text}: {}", e.message);
        }
    }
}

#[cfg(all(test, feature = "jsonata"))]
mod reference_tests {
    use super::*;

    fn names(body: &str) -> Vec<String> {
        let ast = parse_body(body).unwrap_or_else(|e| panic!("{body}: {e}"));
        unsupported_references(&ast)
            .into_iter()
            .map(|r| match r {
                UnsupportedReference::TopLevel(name) => name,
                UnsupportedReference::Root => "$$".into(),
            })
            .collect()
    }

    /// Each of these was refused by AWS's ValidateStateMachineDefinition as a Pass `Output`,
    /// naming `phone` (floci-io/floci#2670, #2699; the cases are floci's
    /// JsonataTopLevelReferencesTest, measured with `validate-state-machine-definition`).
    #[test]
    fn names_what_aws_reads_at_the_top_level() {
        for body in [
            "phone",
            "phone[0].number",
            "phone.number.street",
            "-phone",
            "phone ? 1 : 2",
            "$states.input.a ? phone : 2",
            "phone & 'x'",
            "phone in $states.input.b",
            "$sum(phone)",
            "phone(1)",
            "phone ~> $string()",
            "[1..phone]",
            "(phone)",
            "(phone).other",
            "[phone].other",
            "[phone, 1]",
            "{phone: 1}",
            "($x := phone; $x)",
            "$map($states.input.a, function($y){ phone })",
            "$count(phone[inner])",
            "phone.**.deeper",
        ] {
            assert_eq!(names(body), ["phone"], "{body}");
        }
    }

    /// Each of these AWS accepted (same source): the look-alikes must stay accepted.
    #[test]
    fn accepts_names_read_from_something_else() {
        for body in [
            "$states.input.phone",
            "$states.input.a.phone",
            "$states.input.a[0].phone",
            "$states.input.a.phone[0]",
            "$states.input.items[phone > 3]",
            "$states.input.a^(phone)",
            "$states.input.a{'k': phone}",
            "$states.input.a.(phone)",
            "$states.input.a.$phone",
            "$phone",
            "$states.input.a ~> $string()",
            "$states.input ~> |phone|{'b': 1}|",
            "**.phone",
            "{'k': 1}.phone",
            "$states.input.a[0][phone]",
            "$states.input.a[$ > 1]",
            "function($x){ $x.phone }",
            "$map($states.input.a, function($x){ $x.phone })",
            "'phone'",
            "1 + 1",
            "$now()",
            "$states.context.Execution.Id",
        ] {
            assert_eq!(names(body), Vec::<String>::new(), "{body}");
        }
    }

    #[test]
    fn the_context_item_is_named_dollar() {
        for body in [
            "$",
            "$.phone",
            "$[0]",
            "$string($)",
            "$map($states.input.a, function($x){ $ })",
        ] {
            assert_eq!(names(body), ["$"], "{body}");
        }
    }

    #[test]
    fn dollar_dollar_is_its_own_reference_anywhere() {
        for body in ["$$", "$$.phone", "$states.input.a[$$.b = 1]"] {
            assert_eq!(names(body), ["$$"], "{body}");
        }
    }

    #[test]
    fn each_distinct_name_once_in_writing_order() {
        assert_eq!(names("aaa + bbb"), ["aaa", "bbb"]);
        assert_eq!(names("[bbb, aaa]"), ["bbb", "aaa"]);
        assert_eq!(names("aaa + aaa"), ["aaa"]);
        assert_eq!(names("(aaa; bbb)"), ["aaa", "bbb"]);
        assert_eq!(names("$number(aaa) + $number(bbb)"), ["aaa", "bbb"]);
    }

    #[test]
    fn a_long_operator_chain_does_not_overflow_the_walk() {
        let body = vec!["a"; 20_000].join(" & ");
        if let Ok(ast) = parse_body(&body) {
            assert_eq!(
                unsupported_references(&ast),
                [UnsupportedReference::TopLevel("a".into())]
            );
        }
    }
}
