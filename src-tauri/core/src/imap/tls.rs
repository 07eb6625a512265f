//! Which server certificates Tern accepts.
//!
//! A certificate is accepted when the platform's verifier accepts it (the OS trust store, with
//! revocation where the OS checks it), or when its SHA-256 fingerprint equals one the user pinned
//! for that account after seeing it (a Thunderbird-style exception). When neither holds, the
//! handshake fails and the fingerprint and reason are kept so the caller can report
//! [`crate::Error::UntrustedCertificate`] and offer the user the choice.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Colon-separated uppercase hex SHA-256 of a DER certificate, as browsers show it.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let mut out = String::with_capacity(95);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

/// Normalises a fingerprint the user typed or pasted (any case, with or without colons).
pub fn normalize_fingerprint(text: &str) -> String {
    let hex: String =
        text.chars().filter(|c| c.is_ascii_hexdigit()).map(|c| c.to_ascii_uppercase()).collect();
    let mut out = String::with_capacity(hex.len() + hex.len() / 2);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&String::from_utf8_lossy(pair));
    }
    out
}

/// Why the last certificate was refused, kept for the error report.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Fingerprint of the refused leaf certificate.
    pub fingerprint: String,
    /// The verifier's reason.
    pub reason: String,
    /// Who the certificate was issued to (its subject), as far as it can be read.
    pub subject: String,
    /// Its validity period, e.g. "valid from 2026-01-01 to 2027-01-01".
    pub validity: String,
}

/// Subject and validity period of a DER certificate, in words for the user.
pub fn describe(der: &[u8]) -> (String, String) {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => {
            let subject = cert.subject().to_string();
            let subject = if subject.is_empty() { "(no subject)".to_string() } else { subject };
            let day = |t: &x509_parser::time::ASN1Time| {
                let d = t.to_datetime();
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            };
            let validity = cert.validity();
            (subject, format!("valid from {} to {}", day(&validity.not_before), day(&validity.not_after)))
        }
        Err(_) => ("(unreadable certificate)".to_string(), "validity unknown".to_string()),
    }
}

/// Where a connection's verifier leaves the reason it refused a certificate.
pub type RefusalSlot = Arc<Mutex<Option<Refusal>>>;

/// The platform verifier, shared by every connection (building it reads the OS trust store).
#[derive(Clone)]
pub struct TlsContext {
    /// The OS-backed verifier.
    platform: Arc<dyn ServerCertVerifier>,
    /// The crypto provider (ring).
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl fmt::Debug for TlsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsContext").finish_non_exhaustive()
    }
}

impl TlsContext {
    /// Builds the context from the OS trust store.
    pub fn new() -> Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| Error::Tls { host: "(trust store)".into(), reason: e.to_string() })?;
        Ok(Self { platform: Arc::new(verifier), provider })
    }

    /// A client config for one connection, accepting `pinned` in addition to trusted roots.
    /// The returned slot receives the reason when a certificate is refused.
    pub fn client_config(&self, pinned: Option<&str>) -> Result<(Arc<ClientConfig>, RefusalSlot)> {
        let refusal = Arc::new(Mutex::new(None));
        let verifier = PinningVerifier {
            platform: self.platform.clone(),
            pinned: pinned.map(normalize_fingerprint),
            refusal: refusal.clone(),
        };
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls { host: "(configuration)".into(), reason: e.to_string() })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok((Arc::new(config), refusal))
    }
}

/// Platform verification, or an exact match with the user's pinned fingerprint.
#[derive(Debug)]
struct PinningVerifier {
    platform: Arc<dyn ServerCertVerifier>,
    pinned: Option<String>,
    refusal: RefusalSlot,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        if self.pinned.as_deref() == Some(seen.as_str()) {
            return Ok(ServerCertVerified::assertion());
        }
        match self.platform.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Ok(ok) => Ok(ok),
            Err(e) => {
                let reason = match &e {
                    rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                        "it is not signed by an authority this system trusts".to_string()
                    }
                    rustls::Error::InvalidCertificate(CertificateError::Expired) => {
                        "it has expired".to_string()
                    }
                    rustls::Error::InvalidCertificate(CertificateError::NotValidForName) => {
                        "it was issued for a different server name".to_string()
                    }
                    other => other.to_string(),
                };
                let (subject, validity) = describe(end_entity.as_ref());
                if let Ok(mut slot) = self.refusal.lock() {
                    *slot = Some(Refusal { fingerprint: seen, reason, subject, validity });
                }
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.platform.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_normalisation() {
        let table = [
            ("ab:cd:EF", "AB:CD:EF"),
            ("abcdef", "AB:CD:EF"),
            ("AB CD EF", "AB:CD:EF"),
            (" ab-cd-ef ", "AB:CD:EF"),
        ];
        for (input, expected) in table {
            assert_eq!(normalize_fingerprint(input), expected, "{input}");
        }
    }

    #[test]
    fn certificates_are_described_in_words() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["imap.example.org".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "imap.example.org");
        params.not_before = rcgen::date_time_ymd(2026, 1, 2);
        params.not_after = rcgen::date_time_ymd(2027, 3, 4);
        let cert = params.self_signed(&key).unwrap();
        let (subject, validity) = describe(cert.der());
        assert_eq!(subject, "CN=imap.example.org");
        assert_eq!(validity, "valid from 2026-01-02 to 2027-03-04");
        assert_eq!(describe(b"not a certificate").0, "(unreadable certificate)");
    }

    #[test]
    fn fingerprint_format() {
        let fp = fingerprint(b"hello");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert_eq!(&fp[..8], "2C:F2:4D");
        assert_eq!(normalize_fingerprint(&fp), fp);
    }
}
