// WriteSelfSignedCertificate: a development certificate for `ctihub serve --dev-tls`.
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_server.h"
#include "net/internal/http_syntax.h"

namespace ctihub::net {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};


Status Failed(std::string_view what) {
  std::string errors = internal::OpenSslErrors();
  return Internal("self-signed certificate: " + std::string(what) + ": " +
                  (errors.empty() ? "unknown OpenSSL error" : errors));
}

// Writes `data` to `path` through a temporary file renamed into place, so a reader never sees a
// half-written key, and a key file never exists with a mode wider than `mode`.
Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return InvalidArgument("cannot write " + tmp + ": " + std::strerror(errno));
  }
  // O_CREAT's mode is masked by the umask and ignored for an existing file: set it explicitly.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  int saved = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return InvalidArgument("cannot write " + path + ": " + std::strerror(saved));
  }
  return Status::Ok();
}

Result<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0 || data == nullptr) return Failed("PEM encoding");
  return std::string(data, static_cast<size_t>(n));
}

bool AddName(GENERAL_NAMES* names, std::string_view text) {
  // An IP literal goes in as iPAddress; anything else as a dNSName.
  std::string s(text);
  GENERAL_NAME* name = nullptr;
  if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(s.c_str())) {
    name = GENERAL_NAME_new();
    if (name == nullptr) {
      ASN1_OCTET_STRING_free(ip);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
  } else {
    ERR_clear_error();  // a2i_IPADDRESS leaves an error for a non-IP: not one
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (dns == nullptr) return false;
    if (ASN1_STRING_set(dns, s.data(), static_cast<int>(s.size())) != 1) {
      ASN1_IA5STRING_free(dns);
      return false;
    }
    name = GENERAL_NAME_new();
    if (name == nullptr) {
      ASN1_IA5STRING_free(dns);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, dns);
  }
  if (sk_GENERAL_NAME_push(names, name) == 0) {
    GENERAL_NAME_free(name);
    return false;
  }
  return true;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A DNS name or IP literal we can put in the certificate: printable ASCII without separators.
bool UsableName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == ',' || c == '/') return false;
  }
  return true;
}

}  // namespace

Status WriteSelfSignedCertificate(const std::string& certificate_file,
                                  const std::string& private_key_file,
                                  std::string_view common_name) {
  if (certificate_file.empty() || private_key_file.empty()) {
    return InvalidArgument("self-signed certificate: certificate and key file names are needed");
  }
  std::string cn = UsableName(common_name) ? std::string(common_name) : std::string("localhost");
  ERR_clear_error();

  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return Failed("generating an EC P-256 key");

  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return Failed("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return Failed("version");

  // A random positive 127-bit serial (RFC 5280 section 4.1.2.2 allows up to 20 octets).
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return Failed("random serial");
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, BnFree> serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return Failed("serial number");
  }

  // Backdated a few minutes so a client whose clock is slightly behind still accepts it.
  constexpr long kThirtyDays = 30L * 24 * 60 * 60;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kThirtyDays) == nullptr) {
    return Failed("validity");
  }
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return Failed("public key");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1) {
    return Failed("subject name");
  }

  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(sk_GENERAL_NAME_new_null());
  if (!names || !AddName(names.get(), "localhost") || !AddName(names.get(), "127.0.0.1") ||
      (cn != "localhost" && cn != "127.0.0.1" && !AddName(names.get(), cn))) {
    return Failed("subjectAltName");
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) !=
      1) {
    return Failed("subjectAltName");
  }
  // A leaf (CA:FALSE; browsers refuse a CA certificate as a server's) that a client trusts
  // directly (curl --cacert). Usable as a server and as a client certificate, so development
  // setups and tests can also use one for mutual TLS. An EC key only signs (ECDHE-ECDSA).
  if (!AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash")) {
    return Failed("extensions");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return Failed("signing");

  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_secmem()));  // cleared when freed
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return Failed("PEM encoding");
  }
  CTI_ASSIGN_OR_RETURN(std::string cert_pem, BioText(cert_bio.get()));
  CTI_ASSIGN_OR_RETURN(std::string key_pem, BioText(key_bio.get()));
  Status written = WriteFileAtomically(private_key_file, key_pem, 0600);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());  // no copy of the key left in freed memory
  CTI_RETURN_IF_ERROR(written);
  return WriteFileAtomically(certificate_file, cert_pem, 0644);
}

}  // namespace ctihub::net
