//! Generates the fixtures' modules into OUT_DIR with the build-script API.

fn main() {
    if let Err(e) = orderflow_codegen::Builder::new()
        .workflow("../../orderflow-codegen/tests/typegen/kitchen-sink")
        .workflow("../../orderflow-model/tests/fixtures/shared-refs")
        .generate_to_out_dir()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
