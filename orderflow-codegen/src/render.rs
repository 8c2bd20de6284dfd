//! The human format of diagnostics: rustc-style text drawn by annotate-snippets, the renderer
//! rustc itself uses. It lives with the CLI and the build-script API, the two places that print
//! it, so nothing that only checks (the derive macros) compiles it.

use std::sync::Arc;

use orderflow_model::diagnostic::{Code, Diagnostic, Location, Severity, pointer_text};

/// rustc-style text: `error[E0104]: …`, `--> file:line:col`, a snippet, notes and help.
pub fn render_human(diagnostic: &Diagnostic, color: bool) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    };
    let mut title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str());
    let mut group;
    if let Some(loc) = &diagnostic.location {
        let path = loc.file.path().display().to_string();
        let mut annotation = AnnotationKind::Primary.span(span_range(loc));
        if let Some(label) = &diagnostic.label {
            annotation = annotation.label(label.as_str());
        }
        let mut snippet = Snippet::source(loc.file.text())
            .path(path)
            .fold(true)
            .annotation(annotation);
        // Related places in the same file share the snippet; others get their own.
        let mut others = Vec::new();
        for related in &diagnostic.related {
            if Arc::ptr_eq(&related.location.file, &loc.file) {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(span_range(&related.location))
                        .label(related.message.as_str()),
                );
            } else {
                others.push(related);
            }
        }
        title = title.id(diagnostic.code.as_str());
        group = Group::with_title(title).element(snippet);
        for related in others {
            group = group.element(
                Snippet::source(related.location.file.text())
                    .path(related.location.file.path().display().to_string())
                    .fold(true)
                    .annotation(
                        AnnotationKind::Context
                            .span(span_range(&related.location))
                            .label(related.message.as_str()),
                    ),
            );
        }
        // A syntax error has no place in a JSON tree, only in the text.
        if diagnostic.code != Code::JsonSyntax {
            group = group.element(
                Level::NOTE
                    .no_name()
                    .message(format!("at JSON pointer `{}`", pointer_text(&loc.pointer))),
            );
        }
    } else {
        group = Group::with_title(title);
    }
    for note in &diagnostic.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

fn span_range(loc: &Location) -> std::ops::Range<usize> {
    let len = loc.file.text().len();
    let start = (loc.span.start as usize).min(len);
    let end = (loc.span.end as usize).clamp(start, len);
    start..end
}

#[cfg(test)]
mod tests {
    use orderflow_model::json::Span;
    use orderflow_model::source::SourceFile;

    use super::*;

    #[test]
    fn human_rendering_shows_code_position_pointer_and_help() {
        let file = SourceFile::new("wf/workflow.asl.json", "{\n  \"StartAt\": \"Nope\"\n}\n");
        let d = Diagnostic::new(Code::DanglingTransition, "StartAt names no state")
            .at(Location::new(&file, "/StartAt", Span::new(15, 21)))
            .label("no state is called \"Nope\"")
            .help("add a state named \"Nope\" or fix the name");
        let text = render_human(&d, false);
        assert!(
            text.contains("error[E0104]: StartAt names no state"),
            "{text}"
        );
        assert!(text.contains("wf/workflow.asl.json:2:14"), "{text}");
        assert!(text.contains("`/StartAt`"), "{text}");
        assert!(text.contains("help: add a state"), "{text}");
    }
}
