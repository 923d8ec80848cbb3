//! The docker provider: a container from `postgres:<major>` (or any image honouring the official
//! image's contract), owned through testcontainers, labelled, and removed on every exit path.

use super::{Database, DatabaseRequest, ProvisionError};

/// The image a request runs: `--image`, else `postgres:<major>` (15 by default).
pub fn image_for(request: &DatabaseRequest) -> String {
    request
        .image
        .clone()
        .unwrap_or_else(|| format!("postgres:{}", request.major.unwrap_or(15)))
}

/// Ok when a Docker daemon answers and `image` is present locally (or pullable).
/// The error says why not, in words the auto provider can repeat.
pub async fn availability(_image: &str) -> Result<(), String> {
    Err("the docker provider is not built yet".into())
}

pub async fn start(
    _request: &DatabaseRequest,
    _reason: String,
) -> Result<Database, ProvisionError> {
    Err(ProvisionError::Unavailable(
        "the docker provider is not built yet".into(),
    ))
}
