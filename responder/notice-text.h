/* Fixed wording shared by the assessment and the drafts: labels of data
 * categories and scanner types, and country names, in English and Chinese. */
#ifndef BW_NOTICE_TEXT_H
#define BW_NOTICE_TEXT_H

/* Label of a data category or PII scanner type ("national_id" ->
 * "national identification numbers"); lang "en" or "zh". Unknown names are
 * returned as they are. The result is static or name itself. */
const char *notice_label(const char *name, const char *lang);

/* Country name of an ISO 3166-1 alpha-2 code; the code itself when unknown. */
const char *notice_country(const char *cc, const char *lang);

/* 1 when the country is in the EU or the EEA. */
int notice_is_eea(const char *cc);

#endif
