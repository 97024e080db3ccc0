//! Throwaway X.509 material for HTTPS tests, generated in-process with `rcgen`.
//!
//! [`test_pki`] makes a fresh test CA and a server certificate it signed; trusting
//! `ca_pem` must make a TLS handshake with the server succeed. [`self_signed`] makes a
//! self-signed server certificate plus an unrelated CA, so trusting `ca_pem` must make
//! the handshake fail (the "wrong certificate" case).
//!
//! Names that parse as IP addresses (e.g. `127.0.0.1`) become IP SANs, others DNS
//! SANs. Keys are ECDSA P-256; certificates are valid from 1975 to 4096.
#![allow(dead_code)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use super::gateway::TlsIdentity;

/// PEM-encoded CA certificate, server certificate and server private key (PKCS#8).
#[derive(Clone, Debug)]
pub struct TestPki {
    /// The CA certificate a client should trust.
    pub ca_pem: String,
    /// The server (leaf) certificate.
    pub server_cert_pem: String,
    /// The server's private key.
    pub server_key_pem: String,
}

impl TestPki {
    /// The server certificate and key, ready for `GatewayConfig::tls`.
    pub fn identity(&self) -> TlsIdentity {
        TlsIdentity {
            cert_pem: self.server_cert_pem.clone(),
            key_pem: self.server_key_pem.clone(),
        }
    }
}

/// A fresh test CA and a server certificate for `hostnames`, signed by that CA.
pub fn test_pki(hostnames: &[&str]) -> TestPki {
    let (ca_params, ca_key) = ca("LeadLex Test CA");
    let ca_pem = ca_params
        .self_signed(&ca_key)
        .expect("self-sign test CA")
        .pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server = server_params(hostnames)
        .signed_by(&server_key, &issuer)
        .expect("sign server certificate");
    TestPki {
        ca_pem,
        server_cert_pem: server.pem(),
        server_key_pem: server_key.serialize_pem(),
    }
}

/// A self-signed server certificate for `hostnames`, and an unrelated CA as `ca_pem`:
/// a client trusting only `ca_pem` must reject the server.
pub fn self_signed(hostnames: &[&str]) -> TestPki {
    let (ca_params, ca_key) = ca("Unrelated Test CA");
    let ca_pem = ca_params
        .self_signed(&ca_key)
        .expect("self-sign test CA")
        .pem();
    let server_key = KeyPair::generate().expect("server key");
    let server = server_params(hostnames)
        .self_signed(&server_key)
        .expect("self-sign server certificate");
    TestPki {
        ca_pem,
        server_cert_pem: server.pem(),
        server_key_pem: server_key.serialize_pem(),
    }
}

/// Parameters and key of a CA that may sign end-entity certificates.
fn ca(common_name: &str) -> (CertificateParams, KeyPair) {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    (params, KeyPair::generate().expect("CA key"))
}

/// Parameters of a TLS server certificate for `hostnames`.
fn server_params(hostnames: &[&str]) -> CertificateParams {
    let names: Vec<String> = hostnames.iter().map(|&name| name.to_owned()).collect();
    let mut params = CertificateParams::new(names).expect("valid SAN names");
    let common_name = hostnames.first().copied().unwrap_or("leadlex test server");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params
}
