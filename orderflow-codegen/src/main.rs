fn main() -> std::process::ExitCode {
    orderflow_codegen::cli::main()
}
