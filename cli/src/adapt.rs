//! `bencher adapt`: parse harness output here and print Bencher Metric Format.

use std::io::Read;

use bencher_adapters::{Bmf, Settings, adapt, fold};

use crate::Outcome;
use crate::error::CliError;
use crate::parser::AdaptArgs;

/// Parse the files (or standard input) and print the BMF as pretty JSON on stdout.
pub fn run(args: &AdaptArgs) -> Result<Outcome, CliError> {
    let inputs = if args.files.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::io("reading standard input", e))?;
        vec![text]
    } else {
        args.files
            .iter()
            .map(|path| {
                std::fs::read(path)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .map_err(|e| CliError::io(format!("reading {}", path.display()), e))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let settings = Settings {
        average: args.average,
    };
    let documents = inputs
        .iter()
        .map(|input| adapt(args.adapter, settings, input))
        .collect::<Result<Vec<Bmf>, _>>()?;
    let json = match (documents.as_slice(), args.fold) {
        ([one], _) => serde_json::to_string_pretty(one)?,
        (many, Some(how)) => serde_json::to_string_pretty(&fold(many, how))?,
        (many, None) => serde_json::to_string_pretty(many)?,
    };
    println!("{json}");
    Ok(Outcome::Success)
}
