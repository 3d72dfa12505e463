//! `forms …`: the XLSForm workbooks field teams load into KoBoToolbox or ODK Central.

use anyhow::Result;
use clap::Subcommand;
use safeground_formats::xlsform;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum FormsCommand {
    /// Write the forms (nts, clearance, eo_find, eore_session) as XLSForm workbooks into DIR.
    Write {
        /// The folder to write into (created if needed); the repository keeps them in forms/.
        dir: PathBuf,
    },
}

pub fn run(cmd: &FormsCommand) -> Result<()> {
    match cmd {
        FormsCommand::Write { dir } => {
            for path in xlsform::write_all(dir)? {
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}
