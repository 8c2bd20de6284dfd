//! The `{% … %}` form of JSONata expressions in JSONata states.
//!
//! This checks the delimiters, a non-empty body, balanced brackets, closed string literals and
//! comments, and the `$states` fields Step Functions defines, each at its own offset; then the
//! expression must parse with the parser the executor uses (jsonata-core), whose errors have no
//! offset of their own.

/// A problem at a byte offset of the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
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
    // The evaluator's own parser has the last word. It reports no position, so the error
    // points at the expression's first character.
    match parse_body(body) {
        Ok(_) => Ok(()),
        Err(message) => Err(TemplateError {
            offset: 2 + body.len() - body.trim_start().len(),
            message: format!("the expression does not parse: {message}"),
        }),
    }
}

/// jsonata-core's parser on a body [`check_body`] accepted. A panic in it (a third-party
/// parser given arbitrary text) becomes an error instead of taking the caller down.
pub fn parse_body(body: &str) -> Result<jsonata_core::ast::AstNode, String> {
    std::panic::catch_unwind(|| jsonata_core::parser::parse(body))
        .map_err(|_| "the JSONata parser failed on this expression".to_owned())?
        .map_err(|e| e.to_string())
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
            // Balanced and closed, but not JSONata: the parser's error, at the expression.
            ("{%  1 + * 2 %}", 4),
            ("{% $states.input.a.. %}", 3),
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
