//! Which TLS certificates the harness's clients trust on an `https://` target (`run`, `replay`,
//! `--wait-for-target`) or upstream (`proxy`): the system's roots, plus the certificates of
//! `--cacert FILE` (a lab's own certificate authority, or a self-signed server certificate), or
//! none checked at all under `--insecure`.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The certificates trusted beyond the system's roots, or no check at all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trust {
    /// The `--cacert` file, to name in messages.
    file: Option<PathBuf>,
    /// Its certificates, DER-encoded.
    extra: Vec<Vec<u8>>,
    /// `--insecure`: certificates are not checked.
    insecure: bool,
}

impl Trust {
    /// The system's roots plus the PEM certificates of `cacert`, or no check when `insecure`.
    /// `Err` names the file and, for a malformed one, the line of the certificate at fault.
    pub fn load(cacert: Option<&Path>, insecure: bool) -> Result<Self, String> {
        let mut trust = Self {
            insecure,
            ..Self::default()
        };
        let Some(file) = cacert else {
            return Ok(trust);
        };
        let text = std::fs::read(file).map_err(|e| format!("--cacert {}: {e}", file.display()))?;
        for (index, certificate) in CertificateDer::pem_slice_iter(&text).enumerate() {
            let certificate = certificate.map_err(|e| {
                let (line, column) = nth_begin(&text, index);
                format!(
                    "{}:{line}:{column}: not a PEM certificate: {e}",
                    file.display()
                )
            })?;
            trust.extra.push(certificate.to_vec());
        }
        if trust.extra.is_empty() {
            return Err(format!(
                "{}:1:1: no certificate in it (a PEM file has `-----BEGIN CERTIFICATE-----` \
                 blocks)",
                file.display()
            ));
        }
        trust.file = Some(file.to_owned());
        // Each certificate is parsed now, so a bad one is bad input before anything runs.
        trust
            .apply(reqwest::Client::builder())
            .and_then(reqwest::ClientBuilder::build)
            .map_err(|e| format!("{}: cannot use its certificates: {e}", file.display()))?;
        Ok(trust)
    }

    /// Whether certificates go unchecked (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// `builder` set to trust these certificates.
    pub fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, reqwest::Error> {
        let extra = self
            .extra
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(builder
            .tls_certs_merge(extra)
            .tls_danger_accept_invalid_certs(self.insecure))
    }

    /// What to add to an error of a request to an `https://` target whose certificate was not
    /// trusted: how to trust it.
    pub fn hint(&self) -> String {
        let trusted = match &self.file {
            Some(file) => format!("the system's roots and {}", file.display()),
            None => "the system's roots".to_owned(),
        };
        format!(
            " (its TLS certificate is not one {trusted} vouch for: --cacert FILE trusts a lab \
             certificate, --insecure skips the check)"
        )
    }
}

/// Whether a transport error (as [`crate::driver::http`] describes it) is a TLS certificate
/// the client refused: the server did answer, and asking again will not change its
/// certificate. (rustls's errors reach reqwest's callers only as text in a chain of causes.)
pub fn refused_certificate(why: &str) -> bool {
    why.contains("certificate")
}

/// Where the `index`-th (from 0) PEM block of `text` begins, as a line and a column from 1
/// (the end of the text when there are fewer blocks).
fn nth_begin(text: &[u8], index: usize) -> (usize, usize) {
    let text = String::from_utf8_lossy(text);
    let mut begins = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("-----BEGIN"));
    match begins.nth(index) {
        Some((line, _)) => (line + 1, 1),
        None => (text.lines().count().max(1), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_pem_bundle_is_trusted_and_bad_ones_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.pem");
        std::fs::write(&file, certificate_pem() + &certificate_pem()).unwrap();
        let trust = Trust::load(Some(&file), false).unwrap();
        assert_eq!(trust.extra.len(), 2);
        assert!(!trust.insecure());
        assert!(trust.hint().contains("lab.pem"), "{}", trust.hint());

        let shown = file.display().to_string();
        // The second block is cut short.
        let good = certificate_pem();
        let cut = certificate_pem();
        let cut = &cut[..cut.len() / 2];
        std::fs::write(&file, format!("{good}{cut}")).unwrap();
        let error = Trust::load(Some(&file), false).unwrap_err();
        let second = good.lines().count() + 1;
        assert!(
            error.starts_with(&format!("{shown}:{second}:1: not a PEM certificate")),
            "{error}"
        );
        std::fs::write(&file, "not a certificate\n").unwrap();
        let error = Trust::load(Some(&file), false).unwrap_err();
        assert!(
            error.starts_with(&format!("{shown}:1:1: no certificate")),
            "{error}"
        );
        let missing = dir.path().join("missing.pem");
        let error = Trust::load(Some(&missing), false).unwrap_err();
        assert!(error.contains("missing.pem"), "{error}");
    }

    #[test]
    fn without_a_file_the_system_roots_are_trusted_or_nothing_checked() {
        assert_eq!(Trust::load(None, false), Ok(Trust::default()));
        let insecure = Trust::load(None, true).unwrap();
        assert!(insecure.insecure());
        assert!(!insecure.hint().contains(".pem"));
    }
}
