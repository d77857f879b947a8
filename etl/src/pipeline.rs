//! [`Pipeline`]: ETLs fused in one target, stage to stage in memory. The arguments go to the
//! first stage only (AIStore's semantics); the first stage's input form decides how the
//! object is read.

use std::sync::Arc;

use bytes::Bytes;
use lode_runtime::{Input, Output, Request};

use crate::backend::Transformed;
use crate::{ArgType, Etl, EtlError};

/// One or more running ETLs applied in order.
#[derive(Clone, Debug)]
pub struct Pipeline {
    stages: Vec<Arc<Etl>>,
}

impl Pipeline {
    /// A pipeline of `first` followed by `rest`.
    pub fn new(first: Arc<Etl>, rest: Vec<Arc<Etl>>) -> Pipeline {
        let mut stages = vec![first];
        stages.extend(rest);
        Pipeline { stages }
    }

    /// The first stage (whose name the request used).
    pub fn first(&self) -> &Arc<Etl> {
        &self.stages[0]
    }

    /// Every stage, in order.
    pub fn stages(&self) -> &[Arc<Etl>] {
        &self.stages
    }

    /// How the object is handed to the first stage.
    pub fn arg_type(&self) -> ArgType {
        self.first().msg().arg_type
    }

    /// Objects the pipeline can transform at once: its narrowest stage's workers.
    pub fn workers(&self) -> usize {
        self.stages.iter().map(|s| s.workers()).min().unwrap_or(1)
    }

    /// Runs `object` through every stage: each stage but the last writes to memory, which the
    /// next one reads; the last writes to `output`. `bytes_in` is the first stage's input,
    /// `bytes_out` the last stage's output. The error names the failing stage.
    pub async fn run(
        &self,
        object: &str,
        args: &str,
        input: Input,
        output: Output,
    ) -> Result<Transformed, EtlError> {
        self.run_to(object, args, input, output, None).await
    }

    /// [`Pipeline::run`], offering the last stage the destination target's URL for a direct
    /// put (`Ais-Node-Url`); `delivered` in the result says whether it took it.
    pub async fn run_to(
        &self,
        object: &str,
        args: &str,
        input: Input,
        output: Output,
        direct_put: Option<String>,
    ) -> Result<Transformed, EtlError> {
        let mut direct_put = direct_put;
        let last = self.stages.len() - 1;
        let mut input = Some(input);
        let mut output = Some(output);
        let mut bytes_in = 0;
        for (i, stage) in self.stages.iter().enumerate() {
            let stage_out = if i == last {
                output.take()
            } else {
                Some(Output::Vec)
            };
            let (Some(stage_in), Some(stage_out)) = (input.take(), stage_out) else {
                return Err(EtlError::Host(
                    "pipeline stage without input or output".into(),
                ));
            };
            let stage_args = if i == 0 { args } else { "" };
            let request = Request::new(object, stage_in, stage_out).with_args(stage_args);
            let offer = if i == last { direct_put.take() } else { None };
            let mut done = stage.transform(request, offer).await?;
            if i == 0 {
                bytes_in = done.bytes_in;
            }
            if i == last {
                done.bytes_in = bytes_in;
                return Ok(done);
            }
            input = Some(Input::Bytes(Bytes::from(
                done.output.take().unwrap_or_default(),
            )));
        }
        Err(EtlError::Host("empty pipeline".into()))
    }
}
