/* MySQL/MariaDB parser (app-mysql.c), registered in the app.c table. */
#ifndef BW_APP_MYSQL_H
#define BW_APP_MYSQL_H

#include "sensor/app.h"

#define MYSQL_QUERY_MAX 1024 /* bytes of query text kept per command */

extern const struct app_proto app_mysql;

#endif
