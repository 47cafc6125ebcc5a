//! A job's output as its view shows it: the stored per-iteration results, with outputs that live
//! in the outputs object store read back (up to a limit, then cut and marked truncated).

use bencher_wire::json::{JsonIterationOutput, JsonJobOutput};
use bencher_wire::msg::{IterationResult, OutputRef};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use crate::error::IntakeError;
use crate::state::IntakeState;

/// The shapes `job.output` may hold: the list of iteration results, or an object holding it.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredOutput {
    List(Vec<IterationResult>),
    Wrapped { results: Vec<IterationResult> },
}

/// The iteration results stored for a job, if its `output` column holds any.
pub fn stored_results(output: Option<&serde_json::Value>) -> Option<Vec<IterationResult>> {
    match serde_json::from_value(output?.clone()).ok()? {
        StoredOutput::List(results) | StoredOutput::Wrapped { results } => Some(results),
    }
}

/// The job's output for its view; `None` when nothing is stored.
pub async fn job_output(
    state: &IntakeState,
    output: Option<&serde_json::Value>,
) -> Result<Option<JsonJobOutput>, IntakeError> {
    let Some(results) = stored_results(output) else {
        return Ok(None);
    };
    let mut out = JsonJobOutput::default();
    for result in results {
        let (stdout, cut_out) = read(state, &result.stdout).await?;
        let (stderr, cut_err) = read(state, &result.stderr).await?;
        let mut iteration = JsonIterationOutput {
            exit_code: result.exit_code,
            stdout,
            stderr,
            files: Default::default(),
            truncated: result.truncated || cut_out || cut_err,
        };
        for file in &result.files {
            let (content, cut) = read(state, &file.content).await?;
            iteration.truncated |= cut;
            iteration.files.insert(file.path.to_string(), content);
        }
        out.results.push(iteration);
    }
    Ok(Some(out))
}

/// The text of an output and whether the read limit cut it.
async fn read(state: &IntakeState, output: &OutputRef) -> Result<(String, bool), IntakeError> {
    match output {
        OutputRef::Inline { text } => Ok((text.clone(), false)),
        OutputRef::Object {
            bucket, name, size, ..
        } => {
            let limit = state.options().output_read_limit;
            let store = state
                .ctx()
                .js
                .get_object_store(bucket)
                .await
                .map_err(|e| IntakeError::Outputs(Box::new(e)))?;
            let object = store
                .get(name)
                .await
                .map_err(|e| IntakeError::Outputs(Box::new(e)))?;
            let mut bytes = Vec::new();
            object
                .take(limit)
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| IntakeError::Outputs(Box::new(e)))?;
            let cut = *size > limit;
            Ok((String::from_utf8_lossy(&bytes).into_owned(), cut))
        }
    }
}
