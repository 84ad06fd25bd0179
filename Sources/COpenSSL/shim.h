#ifndef LEADGATE_COPENSSL_SHIM_H
#define LEADGATE_COPENSSL_SHIM_H
// Only libcrypto: SHA-256, HMAC and public-key signature verification (JWT HS256 / RS256).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#endif
