//! Entry point: everything happens in [`partnerdesk::cli`].

fn main() -> std::process::ExitCode {
    partnerdesk::cli::run()
}
