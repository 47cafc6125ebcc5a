//! `bencher adapt`: parse harness output here and print Bencher Metric Format.
//!
//! The same parse the result-processor runs on a job's outputs: each `--file` is one iteration
//! (standard input is one when there is no file), parsed with `--adapter` and `--average`; with
//! `--fold` the iterations collapse into one document, without it several are printed as an
//! array, one document per iteration, as the server stores them. If any iteration does not
//! parse, nothing is printed and the command exits 1 with the parser's message (naming the file
//! when there are several), as the server refuses the whole report.

use std::io::Read;
use std::path::Path;

use bencher_adapters::{AdaptError, Bmf, Settings, adapt, fold};

use crate::Outcome;
use crate::error::CliError;
use crate::parser::AdaptArgs;

/// Parse the files (or standard input) and print the BMF as pretty JSON on stdout.
pub fn run(args: &AdaptArgs) -> Result<Outcome, CliError> {
    let settings = Settings {
        average: args.average,
    };
    let documents = if args.files.is_empty() {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::io("reading standard input", e))?;
        vec![adapt(
            args.adapter,
            settings,
            &String::from_utf8_lossy(&bytes),
        )?]
    } else {
        let several = args.files.len() > 1;
        args.files
            .iter()
            .map(|path| {
                let bytes = std::fs::read(path)
                    .map_err(|e| CliError::io(format!("reading {}", path.display()), e))?;
                adapt(args.adapter, settings, &String::from_utf8_lossy(&bytes))
                    .map_err(|e| if several { in_file(path, e) } else { e.into() })
            })
            .collect::<Result<Vec<Bmf>, _>>()?
    };
    let json = match (documents.as_slice(), args.fold) {
        ([one], _) => serde_json::to_string_pretty(one)?,
        (many, Some(how)) => serde_json::to_string_pretty(&fold(many, how))?,
        (many, None) => serde_json::to_string_pretty(many)?,
    };
    println!("{json}");
    Ok(Outcome::Success)
}

/// The parser's message prefixed with the file it refused (`parsing <path>: <message>`).
fn in_file(path: &Path, error: AdaptError) -> CliError {
    CliError::io(
        format!("parsing {}", path.display()),
        std::io::Error::new(std::io::ErrorKind::InvalidData, error),
    )
}
