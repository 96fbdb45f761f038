//! `msht completions SHELL`: the tab-completion script for a shell, generated from the same
//! clap definition that parses the command line, so it can never list a flag that is gone.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, output};
use crate::error::Result;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  source <(msht completions bash)                        # this bash session
  msht completions bash > ~/.local/share/bash-completion/completions/msht
  msht completions zsh > \"${fpath[1]}/_msht\"
  msht completions fish > ~/.config/fish/completions/msht.fish
  msht completions powershell >> $PROFILE")]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "msht", &mut script);
    Ok(output::print_bytes(&script)?)
}
