//! HTTPS targets: a certificate made at test time (rcgen), served by a TLS front (tokio-rustls)
//! before the reference server. Without `--cacert` a run cannot trust it (exit 3, saying how
//! to); with `--cacert` it runs, records and replays; `--insecure` runs with a warning;
//! `--wait-for-target` and `proxy --upstream` take the same options; a bad PEM file is bad
//! input naming itself.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use support::gws_in;

/// A reference server behind a TLS front with a self-signed certificate for `localhost`.
struct Lab {
    /// Runs the server and the front until the test ends.
    runtime: tokio::runtime::Runtime,
    /// `https://localhost:PORT`.
    url: String,
    /// The certificate, PEM.
    certificate: String,
}

impl Lab {
    /// Its certificate written to `lab.pem` in `dir`, for `--cacert`.
    fn certificate_in(&self, dir: &Path) -> std::path::PathBuf {
        let pem = dir.join("lab.pem");
        std::fs::write(&pem, &self.certificate).unwrap();
        pem
    }

    fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (url, certificate) = runtime.block_on(async {
            let server = support::server().await;
            let upstream = server.addr();
            // The server lives as long as the runtime.
            std::mem::forget(server);
            tls_front(upstream).await
        });
        Self {
            runtime,
            url,
            certificate,
        }
    }
}

/// Accepts TLS connections on a free loopback port and pipes each to `upstream`; returns the
/// front's URL and its certificate (PEM).
async fn tls_front(upstream: SocketAddr) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let certificate = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(certificate.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to pipe.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    (format!("https://localhost:{port}"), certificate.pem())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `run` of one quick scenario against `url`, with `extra` options.
fn run(dir: &Path, url: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--target", url, "cancel-monitoring", "--exact"];
    args.extend_from_slice(extra);
    gws_in(dir, &args)
}

#[test]
fn an_untrusted_certificate_cannot_run_and_says_how_to_trust_it() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &lab.url, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot reach the target"), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(stderr.contains("--cacert FILE"), "{stderr}");
    // Waiting for it gives up on it at the first answer: a refused certificate stays refused.
    let out = run(dir.path(), &lab.url, &["--wait-for-target", "5m"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("certificate"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_trusted_certificate_runs_records_and_replays() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let pem = lab.certificate_in(dir.path());
    let pem = pem.to_str().unwrap();
    let har = dir.path().join("run.har");
    let har = har.to_str().unwrap();
    let out = run(
        dir.path(),
        &lab.url,
        &["--cacert", pem, "--wait-for-target", "10s", "--record", har],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 passed; 0 failed"),
        "{}",
        text(&out.stdout)
    );
    let replay = |extra: &[&str]| {
        let mut args = vec!["replay", har, "--target", &lab.url, "--as-fast-as-possible"];
        args.extend_from_slice(extra);
        gws_in(dir.path(), &args)
    };
    let out = replay(&["--cacert", pem]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(replay(&[]).status.code(), Some(3));
}

#[test]
fn insecure_runs_unchecked_with_a_warning() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &lab.url, &["--insecure"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: --insecure: TLS certificates are NOT checked"),
        "{stderr}"
    );
    let out = gws_in(
        dir.path(),
        &["run", "--list", "--insecure", "--cacert", "x.pem"],
    );
    assert_eq!(out.status.code(), Some(2), "one or the other");
}

#[test]
fn the_recording_proxy_trusts_its_upstream_as_told() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().unwrap();
    let pem = lab.certificate_in(dir.path());
    let status_through = |extra: &[&str]| {
        let har = dir.path().join(format!("proxy-{}.har", extra.len()));
        let mut args = vec![
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &lab.url,
            "--out",
            har.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (mut proxy, url) = support::spawn_listening(&args);
        let status = lab
            .runtime
            .block_on(reqwest::get(format!("{url}/api/v2/me")))
            .map(|response| response.status().as_u16());
        let _ = proxy.kill();
        let _ = proxy.wait();
        status
    };
    // The upstream answers an anonymous request with 401; an untrusted one is a 502.
    assert_eq!(
        status_through(&["--cacert", pem.to_str().unwrap()]).unwrap(),
        401
    );
    assert_eq!(status_through(&[]).unwrap(), 502);
}

#[test]
fn a_bad_pem_file_is_bad_input_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("broken.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n").unwrap();
    for command in [
        &["run", "--list"][..],
        &["replay", "x.har"],
        &[
            "proxy",
            "--upstream",
            "https://localhost:1",
            "--out",
            "o.har",
        ],
    ] {
        let mut args = command.to_vec();
        args.extend(["--cacert", pem.to_str().unwrap()]);
        let out = gws_in(dir.path(), &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{}:1:1", pem.display())),
            "{command:?}: {stderr}"
        );
    }
}
