//! Parity with asl-validator: every fixture of asl-validator's own test suite (copied under
//! `tests/asl-validator/definitions/`, see the README there) is loaded with
//! [`orderflow_model::load_state_machine`] and its verdict compared with asl-validator 4.0.0's
//! recorded verdict (`tests/asl-validator/verdicts.json`).
//!
//! The agreement must stay at or above [`MIN_AGREEMENT`], and the fixtures on which the two
//! disagree must be exactly those listed (with the reason) in `docs/src/asl-validator.md`: a new
//! disagreement, or a listed one that went away, fails the test until the page says so.
//!
//! `ASL_PARITY_VERBOSE=1 cargo test -p orderflow-model --test asl_validator -- --nocapture`
//! prints orderflow's verdict and errors for every fixture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use orderflow_model::asl::FunctionCatalog;
use orderflow_model::load_state_machine;

/// The share of fixtures on which orderflow must agree with asl-validator (97/107 today). Not
/// higher: on the other ten, orderflow follows what AWS accepts or rejects, and
/// `docs/src/asl-validator.md` says why for each.
const MIN_AGREEMENT: f64 = 0.90;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `file name → "valid" | "invalid"` as asl-validator 4.0.0 decided.
fn recorded_verdicts() -> BTreeMap<String, bool> {
    let path = crate_dir().join("tests/asl-validator/verdicts.json");
    let verdicts: BTreeMap<String, String> = serde_json::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not a JSON object of strings: {e}", path.display()));
    verdicts
        .into_iter()
        .map(|(file, verdict)| {
            let valid = match verdict.as_str() {
                "valid" => true,
                "invalid" => false,
                other => panic!("{file}: verdict {other:?} is neither \"valid\" nor \"invalid\""),
            };
            (file, valid)
        })
        .collect()
}

/// The fixture files, by name.
fn fixtures() -> BTreeMap<String, PathBuf> {
    let dir = crate_dir().join("tests/asl-validator/definitions");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("listing {}: {e}", dir.display())))
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("{} has no UTF-8 file name", path.display()))
                .to_string();
            (name, path)
        })
        .collect()
}

/// The fixtures `docs/src/asl-validator.md` lists as disagreements: the first cell of each
/// table row whose first cell is a fixture file name in backticks.
fn documented_disagreements() -> BTreeSet<String> {
    let page = read(&crate_dir().join("../docs/src/asl-validator.md"));
    page.lines()
        .filter_map(|line| line.trim().strip_prefix('|'))
        .filter_map(|row| row.split('|').next())
        .map(str::trim)
        .filter_map(|cell| cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')))
        .filter(|name| name.ends_with(".json"))
        .map(str::to_string)
        .collect()
}

#[test]
fn agrees_with_asl_validator_on_its_fixtures() {
    let verdicts = recorded_verdicts();
    let fixtures = fixtures();
    let files: BTreeSet<&String> = fixtures.keys().collect();
    let recorded: BTreeSet<&String> = verdicts.keys().collect();
    assert_eq!(
        files, recorded,
        "every fixture needs a recorded verdict, and every verdict a fixture"
    );

    let catalog = FunctionCatalog::unknown();
    let mut disagreements = BTreeSet::new();
    for (name, path) in &fixtures {
        let result = load_state_machine(name, &read(path), &catalog);
        let expected = verdicts[name];
        if std::env::var_os("ASL_PARITY_VERBOSE").is_some() {
            match &result {
                Ok(_) => println!("{name}: valid"),
                Err(errors) => println!("{name}: invalid\n{errors}"),
            }
        }
        if result.is_ok() != expected {
            let ours = match &result {
                Ok(_) => "valid".to_string(),
                Err(errors) => format!("invalid:\n{errors}"),
            };
            let theirs = if expected { "valid" } else { "invalid" };
            println!("disagreement: {name}: asl-validator says {theirs}, orderflow says {ours}");
            disagreements.insert(name.clone());
        }
    }

    let total = fixtures.len();
    let agreed = total - disagreements.len();
    let agreement = agreed as f64 / total as f64;
    println!(
        "agreement with asl-validator 4.0.0: {agreed}/{total} = {:.1}%",
        agreement * 100.0
    );

    let documented = documented_disagreements();
    let undocumented: Vec<&String> = disagreements.difference(&documented).collect();
    let stale: Vec<&String> = documented.difference(&disagreements).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "the disagreements must be exactly those listed in docs/src/asl-validator.md; \
         not listed there: {undocumented:?}; listed but no longer disagreeing: {stale:?}"
    );
    assert!(
        agreement >= MIN_AGREEMENT,
        "agreement {agreed}/{total} is below {:.0}%",
        MIN_AGREEMENT * 100.0
    );
}
