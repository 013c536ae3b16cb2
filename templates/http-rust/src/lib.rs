//! {{name}}: an HTTP handler component. Every request gets 200 and a greeting.

use wstd::http::{Body, Error, Request, Response, StatusCode};

#[wstd::http_server]
async fn main(_request: Request<Body>) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/plain")
        .body("hello from {{name}} (rust)\n".into())?)
}
