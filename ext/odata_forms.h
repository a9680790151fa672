/*
** odata_forms.h: the OData forms the extension may choose to send to
** Graph, the profiles that allow them, and the process-wide memory of the
** forms an origin refused (HTTP 400).
**
** The documented profile (the default, odata=documented) sends only what
** Microsoft documents for auditLogs/provisioning: $filter with eq,
** contains, gt, lt and and; $orderby on activityDateTime; $top. The
** extended profile (odata=extended) adds `or` (IN lists in one request)
** and $select. A form an origin answered 400 to is remembered for the
** process and that origin and never sent there again (odata_refused_*).
** The interface of odata_forms.c, whose first comment says what it calls.
*/
#ifndef PROV_ODATA_FORMS_H
#define PROV_ODATA_FORMS_H

/* Forms (bit flags). */
#define ODATA_FORM_OR 0x0001       /* `or` in $filter (extended) */
#define ODATA_FORM_SELECT 0x0002   /* $select (extended) */
#define ODATA_FORM_CONTAINS 0x0004 /* contains() in $filter */
#define ODATA_FORM_AND 0x0008      /* more than one condition in $filter */
#define ODATA_FORM_TOP 0x0010      /* $top */
#define ODATA_FORM_ORDERBY 0x0020  /* $orderby */
#define ODATA_FORM_CMP 0x0040      /* gt / lt in $filter */
#define ODATA_FORM_EQ 0x0080       /* eq in $filter */
#define ODATA_FORM_ALL 0x00ff

/* What each profile allows. */
#define ODATA_PROFILE_DOCUMENTED                                                                    \
  (ODATA_FORM_CONTAINS | ODATA_FORM_AND | ODATA_FORM_TOP | ODATA_FORM_ORDERBY | ODATA_FORM_CMP | \
   ODATA_FORM_EQ)
#define ODATA_PROFILE_EXTENDED (ODATA_PROFILE_DOCUMENTED | ODATA_FORM_OR | ODATA_FORM_SELECT)

/* "or", "$select", ...: the name of one form (for traces and stats). */
const char *odata_form_name(unsigned form);

/* Append the names of the forms in mask, comma-separated, to s. */
struct sqlite3_str;
void odata_forms_append(struct sqlite3_str *s, unsigned mask, int bJson);

/* The forms origin zOrigin ("https://host:443") refused in this process. */
unsigned odata_refused_get(const char *zOrigin);

/* Remember that zOrigin refused the forms in mask. */
void odata_refused_add(const char *zOrigin, unsigned mask);

/* Forget every refusal (tests). */
void odata_refused_clear(void);

/*
** A request that used the forms in mask was answered 400 with body zBody
** (may be NULL): the one form to leave out of the retry. The form the
** message names when it names one of them ('or', $select, 'contains',
** $orderby, 'and', $top, 'gt'/'lt', 'eq'), else `or` or $select when
** present (the forms Microsoft does not document). 0: none (the 400 is
** an error).
*/
unsigned odata_form_to_drop(unsigned mask, const char *zBody);

#endif
