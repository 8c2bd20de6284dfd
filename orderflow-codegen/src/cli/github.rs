//! `--format github`: diagnostics and generated-file drift as GitHub Actions workflow commands,
//! `::error file=PATH,line=L,col=C,title=CODE::MESSAGE`, which the Actions runner turns into
//! annotations on the files and lines of a pull request.
//!
//! A command is one line: `::` + name + ` ` + comma-separated `key=value` properties + `::` +
//! the message. The escapes are those of the runner's parser (`ActionCommand` in
//! actions/runner) and of `@actions/core` (`escapeData`/`escapeProperty`): in the message `%`,
//! CR and LF become `%25`, `%0D` and `%0A`; in a property value `:` and `,` also become `%3A`
//! and `%2C`, since they end a value.

use std::path::Path;

use orderflow_model::diagnostic::{Code, Diagnostic, Severity, pointer_text};

/// Escapes the message (the command's data).
pub fn escape_data(text: &str) -> String {
    // `%` first, so the escapes added after are not escaped again.
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=…`, `title=…`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command line (without the line break): `::error k=v,k=v::message`.
pub fn command(severity: Severity, properties: &[(&str, String)], message: &str) -> String {
    let name = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let separator = if properties.is_empty() { "" } else { " " };
    format!(
        "::{name}{separator}{}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// A diagnostic as `::error`/`::warning`, at its file, line and column; the message carries
/// the JSON pointer, related places, notes and help, one per line.
pub fn diagnostic(d: &Diagnostic) -> String {
    let mut properties = Vec::new();
    let mut message = d.message.clone();
    if let Some(loc) = &d.location {
        let (line, col) = loc.line_col();
        properties.push(("file", loc.file.path().display().to_string()));
        properties.push(("line", line.to_string()));
        properties.push(("col", col.to_string()));
        // A syntax error has no place in a JSON tree, only in the text.
        if d.code != Code::JsonSyntax {
            message.push_str(&format!(
                "\nat JSON pointer `{}`",
                pointer_text(&loc.pointer)
            ));
        }
    }
    properties.push(("title", d.code.as_str().to_owned()));
    for related in &d.related {
        message.push_str(&format!("\n{}: {}", related.location, related.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    command(d.severity, &properties, &message)
}

/// How a generated file differs from what would be generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    /// It exists with other contents.
    OutOfDate,
    /// It is not there.
    Missing,
    /// It is no longer generated.
    Stale,
}

/// `generate --check`: one `::error` on a generated file that is out of date.
pub fn drift(path: &Path, drift: Drift) -> String {
    let path = path.display().to_string();
    let what = match drift {
        Drift::OutOfDate => "is out of date: it differs from what the definitions generate",
        Drift::Missing => "is missing: the definitions generate it",
        Drift::Stale => "is out of date: the definitions no longer generate it",
    };
    command(
        Severity::Error,
        &[
            ("file", path.clone()),
            ("title", "generated file out of date".into()),
        ],
        &format!(
            "{path} {what}\nhelp: run `orderflow-codegen generate` and commit the generated files"
        ),
    )
}

/// `generate`: one `::error` on a file in a generated file's place that lacks the marker.
pub fn refused(path: &Path) -> String {
    let path = path.display().to_string();
    command(
        Severity::Error,
        &[
            ("file", path.clone()),
            ("title", "not a generated file".into()),
        ],
        &format!(
            "{path} exists and has no `@generated` marker: it is not orderflow's to overwrite\nhelp: move the file away (or delete it) and run `orderflow-codegen generate` again"
        ),
    )
}

/// `text` (a diff of file contents) in a collapsed log group, with workflow commands stopped
/// around it so that no line of a file is taken for a command.
pub fn verbatim_group(title: &str, text: &str) -> String {
    // The token ends the stop; it must not occur in the text.
    let mut token = String::from("orderflow-verbatim");
    let mut n = 0u32;
    while text.contains(&token) {
        n += 1;
        token = format!("orderflow-verbatim-{n}");
    }
    let mut out = format!(
        "::group::{}\n::stop-commands::{token}\n",
        escape_data(title)
    );
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("::{token}::\n::endgroup::\n"));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use orderflow_model::diagnostic::Location;
    use orderflow_model::json::Span;
    use orderflow_model::source::SourceFile;

    /// Reads a command back the way the Actions runner does (`ActionCommand.TryParseV2`):
    /// name, properties split on `,`, data after the second `::`, escapes undone.
    fn parse(line: &str) -> (String, HashMap<String, String>, String) {
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        let rest = line.strip_prefix("::").expect("starts with ::");
        let end = rest.find("::").expect("has a second ::");
        let (info, data) = (&rest[..end], &rest[end + 2..]);
        let (name, props) = info.split_once(' ').unwrap_or((info, ""));
        let unescape = |s: &str, property: bool| {
            let mut s = s.replace("%0D", "\r").replace("%0A", "\n");
            if property {
                s = s.replace("%3A", ":").replace("%2C", ",");
            }
            s.replace("%25", "%")
        };
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), unescape(v, true)))
            .collect();
        (name.to_owned(), properties, unescape(data, false))
    }

    #[test]
    fn data_and_properties_are_escaped_as_github_specifies() {
        assert_eq!(
            escape_data("100% sure,\r\nnext: line"),
            "100%25 sure,%0D%0Anext: line"
        );
        assert_eq!(escape_property("C:\\a,b 100%\nx"), "C%3A\\a%2Cb 100%25%0Ax");
        // An escape already in the text stays text.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn a_diagnostic_with_awkward_text_is_one_line_that_reads_back_the_same() {
        let file = SourceFile::new("wf, v2/a:b.json", "{\n  \"StartAt\": \"Nope\"\n}\n");
        let d = Diagnostic::new(
            Code::DanglingTransition,
            "StartAt names \"50%\", no state\nsecond line",
        )
        .at(Location::new(&file, "/StartAt", Span::new(15, 21)))
        .note("a note, with: punctuation")
        .help("rename it to %0A");
        let line = diagnostic(&d);
        assert!(
            line.starts_with("::error file=wf%2C v2/a%3Ab.json,line=2,col=14,title=E0104::"),
            "{line}"
        );
        assert!(line.contains("\"50%25\", no state%0Asecond line"), "{line}");
        let (name, properties, message) = parse(&line);
        assert_eq!(name, "error");
        assert_eq!(properties["file"], "wf, v2/a:b.json");
        assert_eq!(properties["line"], "2");
        assert_eq!(properties["col"], "14");
        assert_eq!(properties["title"], "E0104");
        assert_eq!(
            message,
            "StartAt names \"50%\", no state\nsecond line\nat JSON pointer `/StartAt`\nnote: a note, with: punctuation\nhelp: rename it to %0A"
        );
    }

    #[test]
    fn warnings_and_placeless_diagnostics() {
        let d = Diagnostic::new(Code::MissingFile, "workflow.asl.json is missing");
        assert_eq!(
            diagnostic(&d),
            "::error title=E0002::workflow.asl.json is missing"
        );
        let file = SourceFile::new("wf/workflow.asl.json", "{}");
        let w = Diagnostic::new(Code::ChoiceWithoutDefault, "no Default").at(Location::new(
            &file,
            "",
            Span::new(0, 2),
        ));
        assert_eq!(
            diagnostic(&w),
            "::warning file=wf/workflow.asl.json,line=1,col=1,title=W0118::no Default%0Aat JSON pointer `(root)`"
        );
    }

    #[test]
    fn drift_names_the_file_and_the_command_to_run() {
        let line = drift(Path::new("out/src/generated.rs"), Drift::OutOfDate);
        let (name, properties, message) = parse(&line);
        assert_eq!(name, "error");
        assert_eq!(properties["file"], "out/src/generated.rs");
        assert!(!properties.contains_key("line"));
        assert!(message.contains("is out of date"), "{message}");
        assert!(message.contains("orderflow-codegen generate"), "{message}");
    }

    #[test]
    fn verbatim_text_cannot_end_the_stop() {
        let text = " ::orderflow-verbatim::\n::error::not a command\n";
        let block = verbatim_group("diff", text);
        assert!(
            block.starts_with("::group::diff\n::stop-commands::orderflow-verbatim-1\n"),
            "{block}"
        );
        assert!(
            block.ends_with("::orderflow-verbatim-1::\n::endgroup::\n"),
            "{block}"
        );
        assert!(block.contains(text));
    }
}
