//! The suite in other formats: [`openapi`] turns it into an OpenAPI 3.1 document that
//! stands alone (schemas bundled, see `bundle`).
//!
//! Reads the typed specification only; nothing here sends a request.

mod bundle;
pub mod openapi;
mod requests;

/// Why the suite could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the specs directory {dir} cannot be read: {source}")]
    SpecsDir { dir: String, source: std::io::Error },
    #[error("schema {file}: {message}")]
    Schema { file: String, message: String },
    #[error("{first} and {second} are both {method} {path}; an OpenAPI document holds one operation per method and path")]
    SameRoute {
        first: String,
        second: String,
        method: String,
        path: String,
    },
    #[error("{first} ({first_path}) and {second} ({second_path}) name one path: OpenAPI holds paths that differ only in their parameters' names as the same path, which may be there once; give the parameter one name in both")]
    SamePath {
        first: String,
        first_path: String,
        second: String,
        second_path: String,
    },
    #[error("operation {operation} documents no response; an OpenAPI operation needs one")]
    NoResponse { operation: String },
}
