/* TLS parser (app-tls.c): ClientHello SNI/ALPN/version, the server
 * certificate's subject and issuer when sent in clear (TLS <= 1.2), then
 * application-data bytes counted from record headers. One `tls` EVE event and
 * one access event per flow, written when the flow ends. */
#ifndef BW_APP_TLS_H
#define BW_APP_TLS_H

#include "sensor/app.h"

extern const struct app_proto app_tls;

/* Handshake bytes kept per direction to reassemble a message that spans
 * records; a longer message is parsed from its first TLS_HS_MAX bytes. */
#define TLS_HS_MAX 16384

#endif
