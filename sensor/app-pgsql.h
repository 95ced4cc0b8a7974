/* PostgreSQL parser (app-pgsql.c), registered in the app.c table. */
#ifndef BW_APP_PGSQL_H
#define BW_APP_PGSQL_H

#include "sensor/app.h"

#define PGSQL_QUERY_MAX 1024 /* bytes of query text kept per transaction */

extern const struct app_proto app_pgsql;

#endif
