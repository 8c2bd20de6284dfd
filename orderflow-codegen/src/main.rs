fn main() -> std::process::ExitCode {
    orderflow_codegen::run_cli()
}
