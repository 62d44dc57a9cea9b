/**
 * GS1 Barcode Syntax Engine
 *
 * @author Copyright (c) 2021-2026 GS1 AISBL.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 *
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 *
 */

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>					// IWYU pragma: keep
#include <string.h>

#include "syntax/gs1syntaxdictionary.h"
#include "enc-private.h"
#include "gs1encoders.h"
#include "dl.h"
#include "scandata.h"
#include "syn.h"
#include "tr.h"


static inline void reset_error(gs1_encoder* const ctx) {
	assert(ctx);
	ctx->err = gs1_encoder_eNO_ERROR;
	*ctx->errMsg = '\0';
	ctx->linterErr = GS1_LINTER_OK;
	*ctx->linterErrMarkup = '\0';
}


__ATTR_CONST size_t gs1_encoder_instanceSize(void) {
	return sizeof(struct gs1_encoder);
}


__ATTR_CONST int gs1_encoder_getMaxDataStrLength(void) {
	return MAX_DATA;
}


gs1_encoder* gs1_encoder_init_ex(void *mem, const gs1_encoder_init_opts_t *opts) {

	gs1_encoder *ctx			= NULL;
	struct aiEntry *sd			= NULL;
#ifndef EXCLUDE_EMBEDDED_AI_TABLE
	bool syndictLoadFailed			= false;
#endif

	gs1_encoder_init_flags_t flags		= gs1_encoder_iDEFAULT;
	gs1_encoder_init_status_t *status	= NULL;
	char *msgBuf				= NULL;
	size_t msgBufSize			= 0;
	const char *syntaxDictionary		= NULL;

	bool fallbackOnError;
#ifndef EXCLUDE_EMBEDDED_AI_TABLE
	bool useEmbedded;
#endif

	/*
	 *  Extract from the part of the struct known by the user, as indicated by struct_size
	 *
	 */
#define EXTRACT_OPT(f) do {										\
	if (opts && opts->struct_size >= offsetof(gs1_encoder_init_opts_t, f) + sizeof(opts->f))	\
		f = opts->f;										\
} while (0)

	EXTRACT_OPT(flags);
	EXTRACT_OPT(status);
	EXTRACT_OPT(msgBuf);
	EXTRACT_OPT(msgBufSize);
	EXTRACT_OPT(syntaxDictionary);

#undef EXTRACT_OPT

	fallbackOnError	= flags & gs1_encoder_iFALLBACK_ON_SYNDICT_ERROR;
#ifndef EXCLUDE_EMBEDDED_AI_TABLE
	useEmbedded	= !(flags & gs1_encoder_iNO_EMBEDDED);
#endif

#define RETURN_FAIL(s, e) do {					\
	if (status) *status = s;				\
	if (msgBuf && msgBufSize > 0) {				\
		strncpy(msgBuf, e, msgBufSize - 1);		\
		msgBuf[msgBufSize - 1] = '\0';			\
	}							\
	if (ctx && !mem) GS1_ENCODERS_FREE(ctx);		\
	return NULL;						\
} while (0)

	if (!mem) {  // No storage provided so allocate our own
#ifndef NOMALLOC
		ctx = GS1_ENCODERS_MALLOC(sizeof(gs1_encoder));
#endif
		if (unlikely(ctx == NULL))
			RETURN_FAIL(GS1_ENCODERS_INIT_FAILED_NO_MEM, "Failed to allocate memory for encoder context");
	} else {  // Use the provided storage
		ctx = mem;
	}

	// Set default parameters
	ctx = memcpy(ctx, (&(struct gs1_encoder) {
		.localAlloc = !mem,
		.sym = gs1_encoder_sNONE,
		.addCheckDigit = false,
		.permitUnknownAIs = false,
		.permitZeroSuppressedGTINinDLuris = false,
		.permitConvenienceAlphas = false,
		.includeDataTitlesInHRI = false,
		.aiTable = NULL,
		.aiTableEntries = 0,
		.aiTableIsDynamic = false,
		.dlKeyQualifiers = NULL,
		.numDLkeyQualifiers = 0,
		.numAIs = 0,
		.numSortedAIs = 0,
		.dataStr = { 0 },
		.errMsg = { 0 },
		.linterErr = GS1_LINTER_OK,
		.linterErrMarkup = { 0 }
	}), sizeof(struct gs1_encoder));

	if (status) *status = GS1_ENCODERS_INIT_SUCCESS;
	if (msgBuf && msgBufSize > 0)
		msgBuf[0] = '\0';

#ifndef EXCLUDE_SYNTAX_DICTIONARY_LOADER
	if (syntaxDictionary) {
		sd = gs1_loadSyntaxDictionary(ctx, syntaxDictionary);
		if (!sd) {
			if (!fallbackOnError)
				RETURN_FAIL(GS1_ENCODERS_INIT_FAILED_LOADING_SYNDICT, ctx->errMsg);
#ifndef EXCLUDE_EMBEDDED_AI_TABLE
			syndictLoadFailed = true;
#endif
		}
	}
#else
	(void)syntaxDictionary;
	(void)fallbackOnError;
#endif

	if (!sd) {
#ifndef EXCLUDE_EMBEDDED_AI_TABLE
		if (!useEmbedded)		// Disabled by flag
			RETURN_FAIL(GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE, "Embedded AI table is disabled");

		// Signal fallback when we actually attempted a load and were forced to embedded
		if (syndictLoadFailed) {
			if (status) *status = GS1_ENCODERS_INIT_FALLBACK_TO_EMBEDDED_TABLE;
			if (msgBuf && msgBufSize > 0) {
				strncpy(msgBuf, ctx->errMsg, msgBufSize - 1);
				msgBuf[msgBufSize - 1] = '\0';
			}
		}
#else
		RETURN_FAIL(GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE, "Embedded AI table not available");
#endif
	}

	if (!gs1_setAItable(ctx, sd)) {

		gs1_encoder_init_status_t localStatus;

		switch (ctx->err) {
		case gs1_encoder_eFAILED_TO_MALLOC_FOR_KEY_QUALIFIERS:
		case gs1_encoder_eFAILED_TO_REALLOC_FOR_KEY_QUALIFIERS:
			localStatus = GS1_ENCODERS_INIT_FAILED_NO_MEM;
			break;
		// LCOV_EXCL_START: only reachable under EXCLUDE_EMBEDDED_AI_TABLE; otherwise setAItable falls back to embedded
		case gs1_encoder_eAI_TABLE_BROKEN_PREFIXES_DIFFER_IN_LENGTH:
			localStatus = GS1_ENCODERS_INIT_FAILED_AI_TABLE_CORRUPT;
			break;
		default:
			localStatus = GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE;
			break;
		// LCOV_EXCL_STOP
		}
		RETURN_FAIL(localStatus, ctx->errMsg);

	}
	gs1_loadValidationTable(ctx);

	return ctx;

#undef RETURN_FAIL

}


gs1_encoder* gs1_encoder_init(void* const mem) {

	/*
	 *  Legacy entry point: attempt to load gs1-syntax-dictionary.txt from
	 *  the current working directory, falling back to the embedded AI table
	 *  if the file is absent or malformed. Callers that need strict control
	 *  or want to detect the fallback should use gs1_encoder_init_ex().
	 *
	 */
	gs1_encoder_init_opts_t opts = {
		.struct_size		= sizeof(gs1_encoder_init_opts_t),
		.flags			= gs1_encoder_iFALLBACK_ON_SYNDICT_ERROR,
		.syntaxDictionary	= "gs1-syntax-dictionary.txt",
	};
	return gs1_encoder_init_ex(mem, &opts);
}


void gs1_encoder_free(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);

#ifndef EXCLUDE_SYNTAX_DICTIONARY_LOADER
	if (ctx->aiTable && ctx->aiTableIsDynamic) {
		gs1_freeSyntaxDictionaryEntries(ctx, ctx->aiTable);
		GS1_ENCODERS_FREE(ctx->aiTable);
	}
#endif

	gs1_freeDLkeyQualifiers(ctx);
	if (ctx->localAlloc)
		GS1_ENCODERS_FREE(ctx);
}


__ATTR_CONST char* gs1_encoder_getVersion(void) {
	return __DATE__;
}


gs1_encoder_symbologies_t gs1_encoder_getSym(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->sym;
}
bool gs1_encoder_setSym(gs1_encoder* const ctx, const gs1_encoder_symbologies_t sym) {
	assert(ctx);
	reset_error(ctx);
	if (sym < gs1_encoder_sNONE || sym >= gs1_encoder_sNUMSYMS) {
		SET_ERR(UNKNOWN_SYMBOLOGY);
		return false;
	}
	ctx->sym = sym;
	return true;
}


bool gs1_encoder_getAddCheckDigit(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->addCheckDigit;
}
bool gs1_encoder_setAddCheckDigit(gs1_encoder* const ctx, const bool addCheckDigit) {
	assert(ctx);
	reset_error(ctx);
	ctx->addCheckDigit = addCheckDigit;
	return true;
}


bool gs1_encoder_getPermitZeroSuppressedGTINinDLuris(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->permitZeroSuppressedGTINinDLuris;
}
bool gs1_encoder_setPermitZeroSuppressedGTINinDLuris(gs1_encoder* const ctx, const bool permitZeroSuppressedGTINinDLuris) {
	assert(ctx);
	reset_error(ctx);
	ctx->permitZeroSuppressedGTINinDLuris = permitZeroSuppressedGTINinDLuris;
	return true;
}


bool gs1_encoder_getPermitUnknownAIs(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->permitUnknownAIs;
}
bool gs1_encoder_setPermitUnknownAIs(gs1_encoder* const ctx, const bool permitUnknownAIs) {
	assert(ctx);
	reset_error(ctx);
	ctx->permitUnknownAIs = permitUnknownAIs;
	return true;
}


bool gs1_encoder_getValidateAIassociations(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->validationTable[gs1_encoder_vREQUISITE_AIS].enabled;
}
bool gs1_encoder_setValidateAIassociations(gs1_encoder* const ctx, const bool validateAIassociations) {
	assert(ctx);
	reset_error(ctx);
	assert(!ctx->validationTable[gs1_encoder_vREQUISITE_AIS].locked);
	ctx->validationTable[gs1_encoder_vREQUISITE_AIS].enabled = validateAIassociations;
	return true;
}


bool gs1_encoder_getValidationEnabled(gs1_encoder* const ctx, const gs1_encoder_validations_t validation) {
	assert(ctx);
	reset_error(ctx);
	if ((signed int)validation < 0 || validation >= gs1_encoder_vNUMVALIDATIONS) {  // Cast satisfies "unsigned enum < 0" checks
		SET_ERR(UNKNOWN_VALIDATION);
		return false;
	}
	return ctx->validationTable[validation].enabled;
}
bool gs1_encoder_setValidationEnabled(gs1_encoder* const ctx, const gs1_encoder_validations_t validation, const bool enabled) {
	assert(ctx);
	reset_error(ctx);
	if ((signed int)validation < 0 || validation >= gs1_encoder_vNUMVALIDATIONS) {  // Cast satisfies "unsigned enum < 0" checks
		SET_ERR(UNKNOWN_VALIDATION);
		return false;
	}
	if (ctx->validationTable[validation].locked) {
		SET_ERR(VALIDATION_CANNOT_BE_AMENDED);
		return false;
	}
	ctx->validationTable[validation].enabled = enabled;
	return true;
}


bool gs1_encoder_getIncludeDataTitlesInHRI(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->includeDataTitlesInHRI;
}
bool gs1_encoder_setIncludeDataTitlesInHRI(gs1_encoder* const ctx, const bool includeDataTitles) {
	assert(ctx);
	reset_error(ctx);
	ctx->includeDataTitlesInHRI = includeDataTitles;
	return true;
}


char* gs1_encoder_getDataStr(gs1_encoder* const ctx) {
	assert(ctx);
	reset_error(ctx);
	return ctx->dataStr;
}
bool gs1_encoder_setDataStr(gs1_encoder* const ctx, const char* const dataStr) {

	char *cc;
	size_t len;

	assert(ctx);
	assert(dataStr);
	reset_error(ctx);

	len = strlen(dataStr);
	if (len > MAX_DATA) {
		SET_ERR_V(DATA_TOO_LONG, MAX_DATA);
		return false;
	}
	if (ctx->dataStr != dataStr)				// File input is via ctx->dataStr
		memcpy(ctx->dataStr, dataStr, len + 1);		// Includes NULL

	// Validate and process data, including extraction of HRI
	ctx->numAIs = 0;
	ctx->numSortedAIs = 0;
	if (strncmp(ctx->dataStr, "https://", 8) == 0 ||	// GS1 Digital Link URI
	    strncmp(ctx->dataStr, "HTTPS://", 8) == 0 ||
	    strncmp(ctx->dataStr, "http://",  7) == 0 ||
	    strncmp(ctx->dataStr, "HTTP://",  7) == 0) {
		// We extract AIs with the element string stored in dlAIbuffer
		if (!gs1_parseDLuri(ctx, ctx->dataStr, ctx->dlAIbuffer))
			goto fail;
	}
	else if ((cc = strchr(ctx->dataStr, '|')) != NULL) {		// Composite symbol

		*cc = '\0';						// Delimit end of linear component

		if (*ctx->dataStr == '^' && !gs1_processAIdata(ctx, ctx->dataStr, true))
			goto fail;

		if (ctx->numAIs >= MAX_AIS) {
			SET_ERR(TOO_MANY_AIS);
			goto fail;
		}

		// Indicate separator in HRI
		ctx->aiData[ctx->numAIs].kind = aiValue_ccsep;
		ctx->numAIs++;

		if (!gs1_processAIdata(ctx, cc + 1, true))
			goto fail;

		*cc = '|';						// Restore original "|"

	}
	else {								// Linear-only symbol
		if (*ctx->dataStr == '^' && !gs1_processAIdata(ctx, ctx->dataStr, true))
			goto fail;
	}

	if (!gs1_validateAIs(ctx))
		goto fail;

	return true;

fail:

	*ctx->dataStr = '\0';
	ctx->numAIs = 0;
	ctx->numSortedAIs = 0;
	return false;

}


bool gs1_encoder_setAIdataStr(gs1_encoder* const ctx, const char* const aiData) {

	char *cc;

	assert(ctx);
	assert(aiData);
	reset_error(ctx);

	// Validate AI data
	ctx->numAIs = 0;
	ctx->numSortedAIs = 0;
	if ((cc = strchr((char*)aiData, '|')) != NULL)	// Composite symbol
	{

		char* p;

		*cc = '\0';					// Delimit end of linear component

		if (!gs1_parseAIdata(ctx, aiData, ctx->dataStr))
			goto fail;

		if (ctx->numAIs >= MAX_AIS) {
			SET_ERR(TOO_MANY_AIS);
			goto fail;
		}

		p = ctx->dataStr + strlen(ctx->dataStr);
		*p++ = '|';

		// Indicate separator in HRI
		ctx->aiData[ctx->numAIs].kind = aiValue_ccsep;
		ctx->numAIs++;

		if (!gs1_parseAIdata(ctx, cc+1, p))
			goto fail;

		*cc = '|';					// Restore original "|"

	}
	else {							// Linear-only symbol
		if (!gs1_parseAIdata(ctx, aiData, ctx->dataStr))
			goto fail;
	}

	if (!gs1_validateAIs(ctx))
		goto fail;

	return true;

fail:

	*ctx->dataStr = '\0';
	ctx->numAIs = 0;
	ctx->numSortedAIs = 0;
	return false;

}


char* gs1_encoder_getAIdataStr(gs1_encoder* const ctx) {

	int i, j;
	char *p = ctx->outStr;
	size_t len;

	assert(ctx);
	assert(ctx->numAIs <= MAX_AIS);
	reset_error(ctx);

	if (ctx->numAIs == 0)		// Not GS1 data
		return NULL;

	for (i = 0; i < ctx->numAIs; i++) {
		const struct aiValue *ai = &ctx->aiData[i];
		if (ai->kind == aiValue_aival) {
			// Worst case write for this AI: "(AI)" plus every value byte
			// escaped as "\(", with the '<' leaving room for the trailing NUL
			len = (size_t)ai->ailen + 2 + 2*(size_t)ai->vallen;
			assert(len < sizeof(ctx->outStr) - (size_t)(p - ctx->outStr));
			*p++ = '(';
			memcpy(p, ai->ai, ai->ailen);
			p += ai->ailen;
			*p++ = ')';
			for (j = 0; j < ai->vallen; j++) {
				if (ai->value[j] == '(')	// Escape data "("
					*p++ = '\\';
				*p++ = ai->value[j];
			}
		} else if (ai->kind == aiValue_ccsep) {
			*p++ = '|';
		}	// Otherwise ignored parameters
	}
	*p = '\0';

	return ctx->outStr;

}


char* gs1_encoder_getDLuri(gs1_encoder* const ctx, const char* const stem) {
	assert(ctx);
	return gs1_generateDLuri(ctx, stem);
}


char* gs1_encoder_getScanData(gs1_encoder* const ctx) {
	assert(ctx);
	return gs1_generateScanData(ctx);
}


bool gs1_encoder_setScanData(gs1_encoder* const ctx, const char* const scanData) {
	assert(ctx);
	assert(scanData);

	if (!gs1_processScanData(ctx, scanData))
		goto fail;

	if (!gs1_validateAIs(ctx))
		goto fail;

	return true;

fail:

	return false;

}


int gs1_encoder_getHRI(gs1_encoder* const ctx, char*** const out) {

	int i, j;
	char *p = ctx->outStr;

	assert(ctx);
	assert(ctx->numAIs <= MAX_AIS);
	reset_error(ctx);

	*p = '\0';
	for (i = 0, j = 0; i < ctx->numAIs; i++) {

		const struct aiValue* const ai = &ctx->aiData[i];
		size_t title_len = 0;

		if (ai->kind != aiValue_aival)
			continue;

		assert(ai->aiEntry);

		ctx->outHRI[j] = p;

		if (ctx->includeDataTitlesInHRI && *ai->aiEntry->title != '\0')
			title_len = strlen(ai->aiEntry->title);

		/*
		 *  "data_title (AI) VALUE" or "(AI) VALUE"
		 *
		 */
		assert((title_len > 0 ? title_len + 1 : 0) + (size_t)ai->ailen + (size_t)ai->vallen + 4 <
		       sizeof(ctx->outStr) - (size_t)(p - ctx->outStr));

		if (title_len > 0) {
			memcpy(p, ai->aiEntry->title, title_len);
			p += title_len;
			*p++ = ' ';
		}

		*p++ = '(';
		memcpy(p, ai->ai, ai->ailen);
		p += ai->ailen;
		*p++ = ')';
		*p++ = ' ';
		memcpy(p, ai->value, ai->vallen);
		p += ai->vallen;
		*p++ = '\0';

		j++;

	}

	*out = ctx->outHRI;

	return j;

}


size_t gs1_encoder_getHRIsize(gs1_encoder* const ctx) {

	size_t sz = 0;
	int i;
	char **hri;
	const int numhri = gs1_encoder_getHRI(ctx, &hri);

	for (i = 0; i < numhri; i++)
		sz += strlen(hri[i]) + 1;  // Includes "|" or NULL terminator

	return sz;

}


void gs1_encoder_copyHRI(gs1_encoder* const ctx, void* const buf, const size_t max) {

	char *p;
	char **hri;
	int i, numhri;
	int rem = (int)max;

	assert(ctx);
	reset_error(ctx);

	if (max == 0)		// No room even for a terminating NUL
		return;

	numhri = gs1_encoder_getHRI(ctx, &hri);

	p = buf;
	for (i = 0; i < numhri; i++) {
		size_t hri_len = strlen(hri[i]);
		rem -= (int)hri_len + 1;
		if (rem < 0) {
			*(char*)buf = '\0';
			return;
		}
		if (i != 0)
			*p++ = '|';
		memcpy(p, hri[i], hri_len);
		p += hri_len;
	}
	*p = '\0';

	return;

}


int gs1_encoder_getDLignoredQueryParams(gs1_encoder* const ctx, char*** const out) {

	int i, j;
	char *p = ctx->outStr;
	size_t len;

	assert(ctx);
	assert(ctx->numAIs <= MAX_AIS);
	reset_error(ctx);

	*p = '\0';
	for (i = 0, j = 0; i < ctx->numAIs; i++) {

		const struct aiValue* const ai = &ctx->aiData[i];

		if (ai->kind != alValue_dlign)
			continue;

		ctx->outHRI[j] = p;

		len = (size_t)ai->vallen;
		assert(len < sizeof(ctx->outStr) - (size_t)(p - ctx->outStr));
		memcpy(p, ai->value, len);
		p += len;

		*p++ = '\0';

		j++;

	}

	*out = ctx->outHRI;
	return j;

}


size_t gs1_encoder_getDLignoredQueryParamsSize(gs1_encoder* const ctx) {

	size_t sz = 0;
	int i;
	char **qp;
	const int numqp = gs1_encoder_getDLignoredQueryParams(ctx, &qp);

	for (i = 0; i < numqp; i++)
		sz += strlen(qp[i]) + 1;  // Includes "&" or NULL terminator

	return sz;

}


void gs1_encoder_copyDLignoredQueryParams(gs1_encoder* const ctx, void* const buf, const size_t max) {

	char *p;
	char **qp;
	int i, numqp;
	int rem = (int)max;

	assert(ctx);
	reset_error(ctx);

	if (max == 0)		// No room even for a terminating NUL
		return;

	numqp = gs1_encoder_getDLignoredQueryParams(ctx, &qp);

	p = buf;
	for (i = 0; i < numqp; i++) {
		size_t qp_len = strlen(qp[i]);
		rem -= (int)qp_len + 1;
		if (rem < 0) {
			*(char*)buf = '\0';
			return;
		}
		if (i != 0)
			*p++ = '&';
		memcpy(p, qp[i], qp_len);
		p += qp_len;
	}
	*p = '\0';

	return;

}


__ATTR_PURE char* gs1_encoder_getErrMsg(gs1_encoder* const ctx) {
	assert(ctx);
	return ctx->errMsg;
}


__ATTR_PURE char* gs1_encoder_getErrMarkup(gs1_encoder* const ctx) {
	assert(ctx);
	return ctx->linterErrMarkup;
}


/*
 *  Utility functions
 *
 */

/*
 *  In place tokenisation of a buffer using a single delimiter character
 *
 *  Will always stop when encountering a NULL byte.
 *
 *    - Set data = <buffer> on first call, and subsequently data = NULL
 *    - Set tok.len = 0 for NULL-terminated C string, otherwise set to length
 *      of buffer.
 *
 */
bool gs1_tokenise(const char *data, char delim, gs1_tok_t *tok) {

#define IN_BOUNDS(tok, p) ( !(tok)->end || (p) < (tok)->end )

	const char *p, *q;

	/*
	 *  Initial call: Seed next, and (optional) end bound from len
	 *
	 */
	if (data) {
		tok->next = data;
		tok->end  = tok->len ? (data + tok->len) : NULL;
	}

	if (!tok->next)
		return false;

	p = tok->next;

	/*
	 *  Skip leading delimiters
	 *
	 */
	while (IN_BOUNDS(tok, p) && *p == delim)
		p++;  // LCOV_EXCL_LINE: general-purpose tokeniser supports leading delims, but no current caller produces such input

	/*
	 *  No tokens left
	 *
	 */
	if (!IN_BOUNDS(tok, p) || *p == '\0') {
		tok->next = NULL;
		return false;
	}

	/*
	 *  Scan to end of token
	 *
	 */
	q = p;
	while (IN_BOUNDS(tok, p) && *p && *p != delim)
		p++;

	/*
	 *  Refresh token
	 *
	 */
	tok->ptr = q;
	tok->len = (size_t)(p - q);
	tok->next = IN_BOUNDS(tok, p) && *p ? p + 1 : NULL;

	return true;

#undef IN_BOUNDS

}


char* gs1_strdup_alloc(const char *s) {

	size_t len = strlen(s) + 1;
	void *d = GS1_ENCODERS_MALLOC(len);

	if (!d)
		return NULL;

	return memcpy(d, s, len);

}

/*
 *  Implements a binarySearch for needle within haystack array, followed by
 *  optional validation of the result.
 *
 *  Takes a comparator function pointer that is executed at each search step of
 *  the binary search.
 *
 *  Takes an optitional validation function pointer (may be NULL) that checks
 *  whether the result of the search is valid according to some criteria.
 *
 *  This facilitates AI searches using a prefix of needle, followed by a sanity
 *  check, with the result differented into "not found" (e.g. an unknown AI)
 *  versus "bad data" (e.g. illegal AI to vivify due to clash with known AIs).
 *
 */
__ATTR_PURE ssize_t gs1_binarySearch(const void* const needle, const void* const haystack, const size_t haystack_size,
			 int (* const compare)(const void* const key, const void* const element, const size_t index),
			 bool (* const validate)(const void* const key, const void* const element, const size_t index)) {

	size_t s = 0, e = haystack_size;

	while (s < e) {
		const size_t m = s + (e - s) / 2;
		const int cmp = compare(needle, haystack, m);
		if (cmp == 0) {

			size_t i;

			if (!validate || validate(needle, haystack, m))
				return (ssize_t)m;

			/*
			 *  The comparison matched but validation failed.
			 *  Scan adjacent entries that also match the
			 *  comparison (e.g. same prefix) to find one
			 *  that passes validation.
			 *
			 */
			// LCOV_EXCL_START: defensive backward retry; current validating callers' data lands bsearch directly on the target
			for (i = m; i > 0; i--)
				if (compare(needle, haystack, i - 1) != 0)
					break;
				else if (validate(needle, haystack, i - 1))
					return (ssize_t)(i - 1);
			// LCOV_EXCL_STOP

			for (i = m + 1; i < haystack_size; i++)
				if (compare(needle, haystack, i) != 0)
					break;
				else if (validate(needle, haystack, i))
					return (ssize_t)i;

			return GS1_SEARCH_INVALID;

		} else if (cmp < 0)
			s = m + 1;
		else
			e = m;
	}

	return GS1_SEARCH_NOT_FOUND;

}


#ifdef UNIT_TESTS

#define TEST_NO_MAIN
#include "acutest.h"
#include "unittest.h"

// Definition for the test-heap fault-injection counter declared in test-heap.h.
int test_alloc_fail_at = 0;

int test_gcp_lookup_result = 0;
int test_gcp_lookup_countdown = 0;

// Used to test compile-time buffer allocation for the gs1encoder instance
static uint8_t static_buf[sizeof(gs1_encoder)];

// Sizable buffer on the heap so that we don't exhaust the stack
char bigbuffer[MAX_DATA+5];


void test_api_getVersion(void) {
	const char *version = gs1_encoder_getVersion();

	TEST_CHECK(version != NULL && strcmp(version, __DATE__) == 0);
}


void test_api_instanceSize(void) {
	TEST_CHECK(gs1_encoder_instanceSize() == sizeof(struct gs1_encoder));
}


void test_api_init(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	gs1_encoder* ctx;
	void *heap;
	size_t mem;

	// Mallocs its own memory
	TEST_ASSERT((ctx = gs1_encoder_init(NULL)) != NULL);
	assert(ctx);
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNONE);
	gs1_encoder_free(ctx);

	// We malloc the storage on the heap at run-time and pass it in
#ifndef __clang_analyzer__
// Analyzer fails to derive that ctx->localAlloc will be set and incorrectly reports a double free
	TEST_ASSERT((mem = gs1_encoder_instanceSize()) > 0);
	TEST_ASSERT((heap = GS1_ENCODERS_MALLOC(mem)) != NULL);
	TEST_ASSERT((ctx = gs1_encoder_init(heap)) == heap);
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNONE);
	gs1_encoder_free(ctx);
	GS1_ENCODERS_FREE(heap);
#endif

	// We allocate at compile-time and pass it in
	TEST_ASSERT((ctx = gs1_encoder_init(&static_buf)) != NULL);
	assert(ctx);
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNONE);
#ifndef __clang_analyzer__
	gs1_encoder_free(ctx);
#endif

DIAG_POP

}


/*
 *  Locks in the deprecated flags ::gs1_encoder_iQUIET and ::gs1_encoder_iNO_SYNDICT
 *  as no-op stubs. The symbols must remain in the enum for source/ABI compatibility,
 *  and setting them must not perturb init behaviour. If this test fails to compile,
 *  the deprecated enumerators have been removed; do not delete them.
 *
 */
void test_api_init_deprecatedFlags(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	gs1_encoder *ctx;
	gs1_encoder_init_status_t status = GS1_ENCODERS_INIT_SUCCESS;
	char msgBuf[256] = { 0 };

	gs1_encoder_init_opts_t opts = {
		.struct_size = sizeof(gs1_encoder_init_opts_t),
		.status      = &status,
		.msgBuf      = msgBuf,
		.msgBufSize  = sizeof(msgBuf),
	};

	/* iQUIET alone: deprecated no-op, embedded init succeeds */
	opts.flags = gs1_encoder_iQUIET;
	TEST_ASSERT((ctx = gs1_encoder_init_ex(NULL, &opts)) != NULL);
	TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
	gs1_encoder_free(ctx);

	/* iNO_SYNDICT alone: deprecated no-op, embedded init succeeds */
	opts.flags = gs1_encoder_iNO_SYNDICT;
	TEST_ASSERT((ctx = gs1_encoder_init_ex(NULL, &opts)) != NULL);
	TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
	gs1_encoder_free(ctx);

	/* Both together: same */
	opts.flags = gs1_encoder_iNO_SYNDICT | gs1_encoder_iQUIET;
	TEST_ASSERT((ctx = gs1_encoder_init_ex(NULL, &opts)) != NULL);
	TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
	gs1_encoder_free(ctx);

	/* Deprecated flags do not block loading an explicit syntaxDictionary path.
	 * (Skipped silently if the file is not present in cwd.) */
	opts.flags = gs1_encoder_iNO_SYNDICT | gs1_encoder_iQUIET;
	opts.syntaxDictionary = "gs1-syntax-dictionary.txt";
	ctx = gs1_encoder_init_ex(NULL, &opts);
	if (ctx) {
		TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
		gs1_encoder_free(ctx);
	}

DIAG_POP

}


void test_api_init_opts_layout(void) {

	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, struct_size) == 0);
#if SIZE_MAX > UINT32_MAX
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, flags)            ==  8);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, status)           == 16);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, msgBuf)           == 24);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, msgBufSize)       == 32);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, syntaxDictionary) == 40);
#else
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, flags)            ==  4);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, status)           ==  8);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, msgBuf)           == 12);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, msgBufSize)       == 16);
	TEST_CHECK(offsetof(gs1_encoder_init_opts_t, syntaxDictionary) == 20);
#endif

	TEST_CHECK(sizeof(gs1_encoder_init_opts_t) ==
	           offsetof(gs1_encoder_init_opts_t, syntaxDictionary)
	           + sizeof(((gs1_encoder_init_opts_t *)0)->syntaxDictionary));

}


void test_api_init_enum_values(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	// The comparisons below are compile-time constant by design: the
	// point of this test is to lock the numeric values of the public
	// enums so a future reorder fails the build.
	// cppcheck-suppress-begin knownConditionTrueFalse
	TEST_CHECK(gs1_encoder_iDEFAULT                   == 0);
	TEST_CHECK(gs1_encoder_iNO_SYNDICT                == 1 << 0);
	TEST_CHECK(gs1_encoder_iNO_EMBEDDED               == 1 << 1);
	TEST_CHECK(gs1_encoder_iFALLBACK_ON_SYNDICT_ERROR == 1 << 2);
	TEST_CHECK(gs1_encoder_iQUIET                     == 1 << 3);

	TEST_CHECK(GS1_ENCODERS_INIT_SUCCESS                    ==  0);
	TEST_CHECK(GS1_ENCODERS_INIT_FALLBACK_TO_EMBEDDED_TABLE ==  1);
	TEST_CHECK(GS1_ENCODERS_INIT_FAILED_NO_MEM              == -1);
	TEST_CHECK(GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE   == -2);
	TEST_CHECK(GS1_ENCODERS_INIT_FAILED_LOADING_SYNDICT     == -3);
	TEST_CHECK(GS1_ENCODERS_INIT_FAILED_AI_TABLE_CORRUPT    == -4);
	// cppcheck-suppress-end knownConditionTrueFalse

DIAG_POP

}


void test_api_defaults(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNONE);
	TEST_CHECK(strcmp(gs1_encoder_getDataStr(ctx), "") == 0);

	gs1_encoder_free(ctx);

}


void test_api_sym(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(!gs1_encoder_setSym(ctx, gs1_encoder_sNONE - 1));     // Too small

	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sNONE));          // First
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNONE);

	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarOmni));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarOmni);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarTruncated));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarTruncated);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarStacked));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarStacked);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarStackedOmni));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarStackedOmni);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarLimited));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarLimited);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarExpanded));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarExpanded);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sUPCA));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sUPCA);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sUPCE));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sUPCE);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sEAN13));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sEAN13);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sEAN8));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sEAN8);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sGS1_128_CCA));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sGS1_128_CCA);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sGS1_128_CCC));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sGS1_128_CCC);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sQR));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sQR);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDM));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDM);
	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sDotCode));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDotCode);

	TEST_CHECK(gs1_encoder_setSym(ctx, gs1_encoder_sNUMSYMS - 1));   // Last
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sNUMSYMS - 1);

	TEST_CHECK(!gs1_encoder_setSym(ctx, gs1_encoder_sNUMSYMS));      // Too big

	// cppcheck-suppress knownConditionTrueFalse
	TEST_CHECK(gs1_encoder_sNUMSYMS == 15);  // Remember to change when adding new symbologies

	gs1_encoder_free(ctx);

}


void test_api_addCheckDigit(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(!gs1_encoder_getAddCheckDigit(ctx));		// Default

	TEST_CHECK(gs1_encoder_setAddCheckDigit(ctx, true));	// Set
	TEST_CHECK(gs1_encoder_getAddCheckDigit(ctx));

	TEST_CHECK(gs1_encoder_setAddCheckDigit(ctx, false));	// Reset
	TEST_CHECK(!gs1_encoder_getAddCheckDigit(ctx));

	gs1_encoder_free(ctx);

}


void test_api_permitUnknownAIs(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(!gs1_encoder_getPermitUnknownAIs(ctx));		// Default

	TEST_CHECK(gs1_encoder_setPermitUnknownAIs(ctx, true));		// Set
	TEST_CHECK(gs1_encoder_getPermitUnknownAIs(ctx));

	TEST_CHECK(gs1_encoder_setPermitUnknownAIs(ctx, false));	// Reset
	TEST_CHECK(!gs1_encoder_getPermitUnknownAIs(ctx));

	gs1_encoder_free(ctx);

}


void test_api_permitZeroSuppressedGTINinDLuris(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(!gs1_encoder_getPermitZeroSuppressedGTINinDLuris(ctx));		// Default

	TEST_CHECK(gs1_encoder_setPermitZeroSuppressedGTINinDLuris(ctx, true));		// Set
	TEST_CHECK(gs1_encoder_getPermitZeroSuppressedGTINinDLuris(ctx));

	TEST_CHECK(gs1_encoder_setPermitZeroSuppressedGTINinDLuris(ctx, false));	// Reset
	TEST_CHECK(!gs1_encoder_getPermitZeroSuppressedGTINinDLuris(ctx));

	gs1_encoder_free(ctx);

}


void test_api_validateAIassociations(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	/*
	 *  Legacy function that now updates gs1_encoder_vREQUISITE_AIS, but
	 *  not gs1_encoder_vMUTEX_AIS.
	 *
	 */

	TEST_CHECK(gs1_encoder_getValidateAIassociations(ctx));		// Default
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vMUTEX_AIS));

	TEST_CHECK(gs1_encoder_setValidateAIassociations(ctx, false));	// Set
	TEST_CHECK(!gs1_encoder_getValidateAIassociations(ctx));
	TEST_CHECK(!gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vMUTEX_AIS));	// Untouched

	TEST_CHECK(gs1_encoder_setValidateAIassociations(ctx, true));	// Reset
	TEST_CHECK(gs1_encoder_getValidateAIassociations(ctx));
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vMUTEX_AIS));

	gs1_encoder_free(ctx);

DIAG_POP

}


void test_api_validations(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// Unlocked validation that is enabled by default
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));		// Default
	TEST_CHECK(gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS, false));
	TEST_CHECK(!gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));
	TEST_CHECK(gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS, true));	// Reset
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREQUISITE_AIS));

	// Locked validation (always enabled)
	TEST_CHECK(gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vREPEATED_AIS));		// Default
	TEST_CHECK(!gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vREPEATED_AIS, false));

	// Out-of-range index must be rejected by both setter and getter, not indexed
	TEST_CHECK(!gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vNUMVALIDATIONS, true));
	TEST_CHECK(!gs1_encoder_getValidationEnabled(ctx, gs1_encoder_vNUMVALIDATIONS));
	TEST_CHECK(strlen(gs1_encoder_getErrMsg(ctx)) > 0);					// Error reported

	gs1_encoder_free(ctx);

}


void test_api_getters(void) {

	gs1_encoder* ctx;
	const char *out;
	char buf[256];

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	/*
	 *  gs1_encoder_getIncludeDataTitlesInHRI
	 *
	 */
	TEST_CHECK(!gs1_encoder_getIncludeDataTitlesInHRI(ctx));		// Default
	gs1_encoder_setIncludeDataTitlesInHRI(ctx, true);
	TEST_CHECK(gs1_encoder_getIncludeDataTitlesInHRI(ctx));
	gs1_encoder_setIncludeDataTitlesInHRI(ctx, false);

	/*
	 *  gs1_encoder_getErrMsg
	 *
	 */
	TEST_CHECK(strcmp(gs1_encoder_getErrMsg(ctx), "") == 0);	// No error yet
	TEST_CHECK(!gs1_encoder_setSym(ctx, gs1_encoder_sNUMSYMS));	// Trigger error
	TEST_CHECK(strlen(gs1_encoder_getErrMsg(ctx)) > 0);		// Non-empty

	/*
	 *  gs1_encoder_getErrMarkup
	 *
	 */
	TEST_CHECK(gs1_encoder_getErrMarkup(ctx) != NULL);		// Always allocated

	// Trigger a linter error: bad check digit in AI (01)
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "^0112312312312334"));	// Wrong check digit
	TEST_CHECK(strlen(gs1_encoder_getErrMarkup(ctx)) > 0);

	/*
	 *  gs1_encoder_getDLuri: with primary key
	 *
	 */
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^0112312312312333"));
	out = gs1_encoder_getDLuri(ctx, "https://example.com");
	TEST_CHECK(out != NULL);

	/*
	 *  gs1_encoder_getDLuri: no primary key
	 *
	 */
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^99XYZ"));
	out = gs1_encoder_getDLuri(ctx, "https://example.com");
	TEST_CHECK(out == NULL);

	/*
	 *  gs1_encoder_setAIdataStr: composite path
	 *
	 */
	strcpy(buf, "(01)12312312312333|(10)ABC123");
	TEST_CHECK(gs1_encoder_setAIdataStr(ctx, buf));

	/*
	 *  gs1_encoder_getMaxDataStrLength
	 *
	 */
	TEST_CHECK(gs1_encoder_getMaxDataStrLength() == MAX_DATA);

	/*
	 *  gs1_encoder_init_ex with opts
	 *
	 */
	{
		gs1_encoder *ctx2;
		gs1_encoder_init_status_t status;
		char msgBuf[256];
		gs1_encoder_init_opts_t opts = {
			.struct_size = sizeof(gs1_encoder_init_opts_t),
			.flags = gs1_encoder_iDEFAULT,
			.status = &status,
			.msgBuf = msgBuf,
			.msgBufSize = sizeof(msgBuf),
		};

		msgBuf[0] = 'X';	// Pre-fill to verify it gets cleared
		TEST_ASSERT((ctx2 = gs1_encoder_init_ex(NULL, &opts)) != NULL);
		assert(ctx2);
		TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
		TEST_CHECK(msgBuf[0] == '\0');		// Cleared on success
		gs1_encoder_free(ctx2);

		/* No syntaxDictionary: embedded AI table, plain success */
		opts.flags = gs1_encoder_iDEFAULT;
		opts.syntaxDictionary = NULL;
		TEST_ASSERT((ctx2 = gs1_encoder_init_ex(NULL, &opts)) != NULL);
		assert(ctx2);
		TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
		gs1_encoder_free(ctx2);

		/* NO_EMBEDDED with no syntaxDictionary: nothing left to load, must fail */
		opts.flags = gs1_encoder_iNO_EMBEDDED;
		opts.syntaxDictionary = NULL;
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx2 == NULL);
		TEST_CHECK(status == GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE);
		TEST_CHECK(msgBuf[0] != '\0');		// Error message populated

		/* syntaxDictionary: explicit path to existing file (skipped when file absent) */
		opts.flags = gs1_encoder_iDEFAULT;
		opts.syntaxDictionary = "gs1-syntax-dictionary.txt";
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		if (ctx2) {
			TEST_CHECK(status == GS1_ENCODERS_INIT_SUCCESS);
			TEST_CHECK(gs1_encoder_setAIdataStr(ctx2, "(01)12312312312333"));
			gs1_encoder_free(ctx2);
		}

		/* syntaxDictionary: nonexistent file, must fail without fallback */
		opts.flags = gs1_encoder_iDEFAULT;
		opts.syntaxDictionary = "nonexistent-file.txt";
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx2 == NULL);
		TEST_CHECK(status == GS1_ENCODERS_INIT_FAILED_LOADING_SYNDICT);
		TEST_CHECK(msgBuf[0] != '\0');

		/* syntaxDictionary: nonexistent file with fallback, lands on embedded with FALLBACK status */
		opts.flags = gs1_encoder_iFALLBACK_ON_SYNDICT_ERROR;
		opts.syntaxDictionary = "nonexistent-file.txt";
		TEST_ASSERT((ctx2 = gs1_encoder_init_ex(NULL, &opts)) != NULL);
		assert(ctx2);
		TEST_CHECK(status == GS1_ENCODERS_INIT_FALLBACK_TO_EMBEDDED_TABLE);
		TEST_CHECK(msgBuf[0] != '\0');		// errMsg surfaced via msgBuf
		gs1_encoder_free(ctx2);

		/* iFALLBACK_ON_SYNDICT_ERROR + iNO_EMBEDDED + bad path: fallback target is
		   disabled, so init must fail with NO_EMBEDDED_TABLE rather than fall back */
		opts.flags = gs1_encoder_iFALLBACK_ON_SYNDICT_ERROR | gs1_encoder_iNO_EMBEDDED;
		opts.syntaxDictionary = "nonexistent-file.txt";
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx2 == NULL);
		TEST_CHECK(status == GS1_ENCODERS_INIT_FAILED_NO_EMBEDDED_TABLE);
		TEST_CHECK(msgBuf[0] != '\0');

		TEST_ASSERT((ctx2 = gs1_encoder_init_ex(NULL, NULL)) != NULL);
		assert(ctx2);
		gs1_encoder_free(ctx2);

		/* Old struct_size: caller compiled with smaller struct (no syntaxDictionary) */
		opts.flags = gs1_encoder_iDEFAULT;
		opts.syntaxDictionary = "nonexistent-file.txt";
		opts.struct_size = offsetof(gs1_encoder_init_opts_t, syntaxDictionary);
		TEST_ASSERT((ctx2 = gs1_encoder_init_ex(NULL, &opts)) != NULL);
		assert(ctx2);
		gs1_encoder_free(ctx2);
		opts.struct_size = sizeof(gs1_encoder_init_opts_t);
	}

	/*
	 *  msgBuf truncation: when msgBufSize is smaller than the error
	 *  string, the buffer must still be NUL-terminated and not overrun.
	 *
	 */
	{
		const gs1_encoder *ctx2;
		gs1_encoder_init_status_t status;
		char tinyBuf[8];
		gs1_encoder_init_opts_t opts = {
			.struct_size      = sizeof(gs1_encoder_init_opts_t),
			.status           = &status,
			.msgBuf           = tinyBuf,
			.msgBufSize       = sizeof(tinyBuf),
			.syntaxDictionary = "nonexistent-very-long-filename-that-overflows-the-msgBuf.txt",
		};

		memset(tinyBuf, 'X', sizeof(tinyBuf));		// Pre-fill with non-NUL
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx2 == NULL);
		TEST_CHECK(status == GS1_ENCODERS_INIT_FAILED_LOADING_SYNDICT);
		TEST_CHECK(tinyBuf[sizeof(tinyBuf) - 1] == '\0');	// NUL-terminated
		TEST_CHECK(strlen(tinyBuf) < sizeof(tinyBuf));		// No overrun
	}

	/*
	 *  NULL status and NULL msgBuf with a failure path: must not crash
	 *  (RETURN_FAIL must guard before writing through these pointers).
	 *
	 */
	{
		const gs1_encoder *ctx2;
		gs1_encoder_init_opts_t opts = {
			.struct_size      = sizeof(gs1_encoder_init_opts_t),
			.status           = NULL,
			.msgBuf           = NULL,
			.msgBufSize       = 0,
			.syntaxDictionary = "nonexistent-file.txt",
		};
		ctx2 = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx2 == NULL);
	}

	/*
	 *  gs1_encoder_setValidationEnabled: invalid enum
	 *
	 */
	TEST_CHECK(!gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vNUMVALIDATIONS, false));

	/*
	 *  gs1_encoder_copyDLignoredQueryParams: buffer overflow
	 *
	 */
DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333?singleton&99=ABC"));
	gs1_encoder_copyDLignoredQueryParams(ctx, (void*)buf, 1);	// Buffer too small
	TEST_CHECK(buf[0] == '\0');
DIAG_POP

	gs1_encoder_free(ctx);

}


void test_api_dataStr(void) {

	gs1_encoder* ctx;
	int i;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_CHECK(gs1_encoder_setDataStr(ctx, "barcode"));
	TEST_CHECK(strcmp(gs1_encoder_getDataStr(ctx), "barcode") == 0);
	TEST_CHECK(gs1_encoder_setDataStr(ctx, ""));
	TEST_CHECK(gs1_encoder_setDataStr(ctx, "a"));
	TEST_CHECK(gs1_encoder_setDataStr(ctx, "41512312312312328020REF00112991225|^99123123"));
	TEST_CHECK(gs1_encoder_setDataStr(ctx, "^41512312312312328020REF00112991225|^99123123"));

	for (i = 0; i <= MAX_DATA; i++) {
		bigbuffer[i]='a';
	}
	bigbuffer[MAX_DATA+1]='\0';
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, bigbuffer));  // Too long

	bigbuffer[MAX_DATA]='\0';
	TEST_CHECK(gs1_encoder_setDataStr(ctx, bigbuffer));   // Maximum length


	/*
	 *  MAX_AIS boundary via raw AI data (linear-only path)
	 *
	 *  Use identical values so validateAIrepeats passes.
	 *
	 */
	{
		char *p;
		int j;

		// Build raw AI string with exactly MAX_AIS (64) AIs: ^99XY^99XY...
		p = bigbuffer;
		*p++ = '^';
		for (j = 0; j < MAX_AIS; j++) {
			if (j > 0)
				*p++ = '^';
			*p++ = '9'; *p++ = '9';
			*p++ = 'X'; *p++ = 'Y';
		}
		*p = '\0';
		TEST_CHECK(gs1_encoder_setDataStr(ctx, bigbuffer));	// Exactly 64 AIs

		// One more AI pushes over the limit
		*p++ = '^';
		*p++ = '9'; *p++ = '9'; *p++ = 'X'; *p++ = 'Y';
		*p = '\0';
		TEST_CHECK(!gs1_encoder_setDataStr(ctx, bigbuffer));	// 65 AIs, too many
	}


	/*
	 *  MAX_AIS boundary via composite: linear fills MAX_AIS, separator
	 *  itself triggers the overflow check
	 *
	 */
	{
		char *p;
		int j;

		// Build composite where linear uses exactly MAX_AIS AIs
		p = bigbuffer;
		*p++ = '^';
		for (j = 0; j < MAX_AIS; j++) {
			if (j > 0)
				*p++ = '^';
			*p++ = '9'; *p++ = '9';
			*p++ = 'X'; *p++ = 'Y';
		}
		*p++ = '|';
		*p++ = '^'; *p++ = '9'; *p++ = '9'; *p++ = 'X'; *p++ = 'Y';
		*p = '\0';
		TEST_CHECK(!gs1_encoder_setDataStr(ctx, bigbuffer));	// Linear fills MAX_AIS, composite overflows
	}


	/*
	 *  MAX_AIS boundary via composite: linear + separator fit,
	 *  composite component triggers the overflow
	 *
	 */
	{
		char *p;
		int j;

		// Linear: MAX_AIS - 2 AIs, separator: 1 slot, composite: 1 AI = MAX_AIS total
		p = bigbuffer;
		*p++ = '^';
		for (j = 0; j < MAX_AIS - 2; j++) {
			if (j > 0)
				*p++ = '^';
			*p++ = '9'; *p++ = '9';
			*p++ = 'X'; *p++ = 'Y';
		}
		*p++ = '|';
		*p++ = '^'; *p++ = '9'; *p++ = '9'; *p++ = 'X'; *p++ = 'Y';
		*p = '\0';
		TEST_CHECK(gs1_encoder_setDataStr(ctx, bigbuffer));	// 62 + 1 sep + 1 = 64, at limit

		// Linear: MAX_AIS - 1 AIs, separator: 1 slot, composite: 1 AI = MAX_AIS + 1
		p = bigbuffer;
		*p++ = '^';
		for (j = 0; j < MAX_AIS - 1; j++) {
			if (j > 0)
				*p++ = '^';
			*p++ = '9'; *p++ = '9';
			*p++ = 'X'; *p++ = 'Y';
		}
		*p++ = '|';
		*p++ = '^'; *p++ = '9'; *p++ = '9'; *p++ = 'X'; *p++ = 'Y';
		*p = '\0';
		TEST_CHECK(!gs1_encoder_setDataStr(ctx, bigbuffer));	// 63 + 1 sep + 1 = 65, overflows in composite
	}


	/*
	 *  gs1_encoder_setAIdataStr error paths
	 *
	 */
	{
		char buf[256];

		// Invalid AI in linear part of composite
		strcpy(buf, "(BADAI)DATA|(99)XYZ");
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, buf));

		// Invalid AI in linear-only path
		strcpy(buf, "(BADAI)DATA");
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, buf));

		// Invalid AI in CC part of composite
		strcpy(buf, "(01)12312312312333|(BADAI)XYZ");
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, buf));

		// Validation failure: bad GTIN check digit
		strcpy(buf, "(01)12312312312334");
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, buf));

		// Validation failure: repeated AI with different values
		strcpy(buf, "(99)ABC(99)XYZ");
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, buf));
	}


	/*
	 *  gs1_encoder_setAIdataStr: MAX_AIS boundary via composite
	 *
	 *  Linear fills MAX_AIS AIs, separator itself triggers overflow
	 *
	 */
	{
		char *p;
		int j;

		p = bigbuffer;
		for (j = 0; j < MAX_AIS; j++) {
			*p++ = '('; *p++ = '9'; *p++ = '9'; *p++ = ')';
			*p++ = 'X'; *p++ = 'Y';
		}
		*p++ = '|';
		*p++ = '('; *p++ = '9'; *p++ = '9'; *p++ = ')';
		*p++ = 'X'; *p++ = 'Y';
		*p = '\0';
		TEST_CHECK(!gs1_encoder_setAIdataStr(ctx, bigbuffer));
	}


	/*
	 *  gs1_encoder_setDataStr error paths
	 *
	 */

	// DL URI parse failure: no valid AI in URI
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "https://a/NOPRIMARYAI"));

	// Linear AI parse failure: too short for AI 00 (needs 18 digits)
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "^00SHORT"));

	// Validation failure: bad GTIN check digit
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "^0112312312312334"));

	// Composite: linear component AI parse failure
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "^00SHORT|^99XYZ"));

	// Validation failure: repeated AI with different values
	TEST_CHECK(!gs1_encoder_setDataStr(ctx, "^99ABC^99XYZ"));


	gs1_encoder_free(ctx);

}


void test_api_getAIdataStr(void) {

	gs1_encoder* ctx;
	char *out;
	char buf[256];

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// Plain data
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "TESTING"));
	TEST_CHECK((out = gs1_encoder_getAIdataStr(ctx)) == NULL);	// No AI extraction
	TEST_CHECK((out = gs1_encoder_getDataStr(ctx)) != NULL);	// Just hold the data string
	assert(out);
	TEST_CHECK(strcmp(out, "TESTING") == 0);

	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "(01)12312312312333(10)ABC123") == 0);

	// (235) X..28 FNC1-required after a NO_FNC1 AI: no ^ before (235), ^ before (10)
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^0112312312312333235XYZ^10BATCH"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "(01)12312312312333(235)XYZ(10)BATCH") == 0);

	// (235): bracketed input round-trips to the expected ^-form via getDataStr
	strcpy(buf, "(01)12312312312333(235)XYZ(10)BATCH");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_CHECK(strcmp(gs1_encoder_getDataStr(ctx), "^0112312312312333235XYZ^10BATCH") == 0);

	// Escape data "(" characters
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC(123"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "(01)12312312312333(10)ABC\\(123") == 0);

	// Composite strings
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123|^99XYZ(TM)_CORP"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "(01)12312312312333(10)ABC123|(99)XYZ\\(TM)_CORP") == 0);

	// GS1 DL URI
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://example.org/01/12312312312333/10/ABC123"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "(01)12312312312333(10)ABC123") == 0);

	// Mixed-case scheme is not a valid DL URI, so plain data
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "HtTp://example.org/01/12312312312333/10/ABC123"));
	TEST_ASSERT((out = gs1_encoder_getAIdataStr(ctx)) == NULL);	// No AI extraction
	TEST_CHECK((out = gs1_encoder_getDataStr(ctx)) != NULL);	// Just a plain data string
	assert(out);
	TEST_CHECK(strcmp(out, "HtTp://example.org/01/12312312312333/10/ABC123") == 0);

	gs1_encoder_free(ctx);

}


void test_api_getScanData(void) {

	gs1_encoder* ctx;
	char *out;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_ASSERT(gs1_encoder_setSym(ctx, gs1_encoder_sDataBarExpanded));
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123^11991225|^98COMPOSITE^97XYZ"));
	TEST_ASSERT((out = gs1_encoder_getScanData(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "]e0011231231231233310ABC123" "\x1D" "1199122598COMPOSITE" "\x1D" "97XYZ") == 0);

	// (235) X..28 emitted between a NO_FNC1 AI and a DO_FNC1 AI; GS appears
	// only after (235), not between (01) and (235)
	TEST_ASSERT(gs1_encoder_setSym(ctx, gs1_encoder_sGS1_128_CCA));
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^0112312312312333235XYZ^10BATCH"));
	TEST_ASSERT((out = gs1_encoder_getScanData(ctx)) != NULL);
	assert(out);
	TEST_CHECK(strcmp(out, "]C10112312312312333235XYZ" "\x1D" "10BATCH") == 0);

	gs1_encoder_free(ctx);

}


void test_api_setScanData(void) {

	gs1_encoder* ctx;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	TEST_ASSERT(gs1_encoder_setScanData(ctx, "]e0011231231231233310ABC123" "\x1D" "99XYZ"));
	TEST_CHECK(gs1_encoder_getSym(ctx) == gs1_encoder_sDataBarExpanded);
	TEST_CHECK(strcmp(gs1_encoder_getDataStr(ctx), "^011231231231233310ABC123^99XYZ") == 0);


	/*
	 *  MAX_DATA boundary via scan data path
	 *
	 *  Use "]Q1" (QR plain data) to avoid GS1 AI processing.
	 *  The 3-byte prefix is consumed, so the payload after it
	 *  must have strlen < MAX_DATA.
	 *
	 */
	{
		int j;

		// Fill with 'a': "]Q1" + payload + '\0'
		memcpy(bigbuffer, "]Q1", 3);
		for (j = 3; j < MAX_DATA + 4; j++)
			bigbuffer[j] = 'a';

		// Payload = MAX_DATA - 1 chars: passes length check
		bigbuffer[3 + MAX_DATA - 1] = '\0';
		TEST_CHECK(gs1_encoder_setScanData(ctx, bigbuffer));

		// Payload = MAX_DATA chars: triggers DATA_TOO_LONG
		bigbuffer[3 + MAX_DATA - 1] = 'a';
		bigbuffer[3 + MAX_DATA] = '\0';
		TEST_CHECK(!gs1_encoder_setScanData(ctx, bigbuffer));
	}


	/*
	 *  Validation failure path: scan data parses OK but
	 *  gs1_validateAIs fails (repeated AI with different values)
	 *
	 */
	TEST_CHECK(!gs1_encoder_setScanData(ctx, "]C199ABC" "\x1D" "99XYZ"));


	gs1_encoder_free(ctx);

}


void test_api_getHRI(void) {

	gs1_encoder* ctx;
	int numAIs;
	char **hri;
	char buf[256];

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// HRI from linear-only, raw AI data
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 2);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(10) ABC123") == 0);

	// HRI for (235) X..28 FNC1-required
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^0112312312312333235XYZ^10BATCH"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 3);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(235) XYZ") == 0);
	TEST_CHECK(strcmp(hri[2], "(10) BATCH") == 0);

	// HRI from composite, raw AI data
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123|^99COMPOSITE"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 3);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(10) ABC123") == 0);
	TEST_CHECK(strcmp(hri[2], "(99) COMPOSITE") == 0);

	// HRI from linear-only, bracketed AI data
	strcpy(buf, "(01)12312312312333(10)ABC123");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 2);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(10) ABC123") == 0);

	// HRI from composite, bracketed AI data
	strcpy(buf, "(01)12312312312333(10)ABC123|(99)COMPOSITE");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 3);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(10) ABC123") == 0);
	TEST_CHECK(strcmp(hri[2], "(99) COMPOSITE") == 0);

	// HRI from GS1 Digital Link URI
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?99=ABC%2d123&98=XYZ"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 4);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(22) TESTING") == 0);
	TEST_CHECK(strcmp(hri[2], "(99) ABC-123") == 0);
	TEST_CHECK(strcmp(hri[3], "(98) XYZ") == 0);

	// HRI from GS1 Digital Link URI with extra ignored query params
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?singleton&99=ABC%2d123&compound1=QWERTY&98=XYZ&compound2=12345"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 4);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(22) TESTING") == 0);
	TEST_CHECK(strcmp(hri[2], "(99) ABC-123") == 0);
	TEST_CHECK(strcmp(hri[3], "(98) XYZ") == 0);

	// HRI from data with unknown AIs: (88), (89)
	gs1_encoder_setPermitUnknownAIs(ctx, true);

	strcpy(buf, "(01)12312312312333(89)ABC123|(88)COMPOSITE");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 3);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(89) ABC123") == 0);
	TEST_CHECK(strcmp(hri[2], "(88) COMPOSITE") == 0);

	gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vUNKNOWN_AI_NOT_DL_ATTR, false);
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333?89=TESTING&99=ABC%2d123&88=XYZ"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 4);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "(89) TESTING") == 0);
	TEST_CHECK(strcmp(hri[2], "(99) ABC-123") == 0);
	TEST_CHECK(strcmp(hri[3], "(88) XYZ") == 0);
	gs1_encoder_setValidationEnabled(ctx, gs1_encoder_vUNKNOWN_AI_NOT_DL_ATTR, true);

	// HRI from linear-only, raw AI data, with unknown AI with known length 3
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^236ABC123"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 1);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(236) ABC123") == 0);

	// HRI from linear-only, raw AI data, with unknown AI with known length 4
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^8299ABC123"));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 1);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "(8299) ABC123") == 0);

	gs1_encoder_setIncludeDataTitlesInHRI(ctx, true);

	// HRI from composite, bracketed AI data, with data titles
	strcpy(buf, "(01)12312312312333(10)ABC123|(99)COMPOSITE");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_ASSERT((numAIs = gs1_encoder_getHRI(ctx, &hri)) == 3);
	TEST_ASSERT(hri != NULL);
	assert(hri);
	TEST_CHECK(strcmp(hri[0], "GTIN (01) 12312312312333") == 0);
	TEST_CHECK(strcmp(hri[1], "BATCH/LOT (10) ABC123") == 0);
	TEST_CHECK(strcmp(hri[2], "INTERNAL (99) COMPOSITE") == 0);

	gs1_encoder_free(ctx);

}


void test_api_copyHRI(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	gs1_encoder* ctx;
	char buf[64];
	size_t needed;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// No HRI should return empty string
	gs1_encoder_copyHRI(ctx, (void*)buf, sizeof(buf));
	TEST_CHECK(buf[0] == '\0');

	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?99=ABC%2d123&98=XYZ"));
	TEST_CHECK((needed = gs1_encoder_getHRIsize(ctx)) == 55);
	gs1_encoder_copyHRI(ctx, (void*)buf, sizeof(buf));
	TEST_CHECK(strcmp(buf, "(01) 12312312312333|(22) TESTING|(99) ABC-123|(98) XYZ") == 0);
	TEST_CHECK(strlen(buf) == needed - 1);

	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "^011231231231233310ABC123|^99COMPOSITE"));
	TEST_CHECK((needed = gs1_encoder_getHRIsize(ctx)) == 47);
	gs1_encoder_copyHRI(ctx, (void*)buf, sizeof(buf));
	TEST_CHECK(strcmp(buf, "(01) 12312312312333|(10) ABC123|(99) COMPOSITE") == 0);
	TEST_CHECK(strlen(buf) == needed - 1);

	// Check buffer too short returns empty string
	gs1_encoder_copyHRI(ctx, (void*)buf, needed - 1);
	TEST_CHECK(buf[0] == '\0');

	// max == 0 has no room even for a NUL, so nothing must be written
	buf[0] = 'X';
	gs1_encoder_copyHRI(ctx, (void*)buf, 0);
	TEST_CHECK(buf[0] == 'X');

	gs1_encoder_free(ctx);

DIAG_POP

}


void test_api_getDLignoredQueryParams(void) {

	gs1_encoder* ctx;
	int numAIs;
	char **qp;
	char buf[256];

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// No ignored query params from non-DL URI data
	strcpy(buf, "(01)12312312312333(10)ABC123|(99)COMPOSITE");
	TEST_ASSERT(gs1_encoder_setAIdataStr(ctx, buf));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 0);
	TEST_ASSERT(qp != NULL);

	// No extra query parameters given
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?99=ABC%2d123&98=XYZ"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 0);
	TEST_ASSERT(qp != NULL);

	// Non-numeric singleton before
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?singleton&99=ABC%2d123"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 1);
	TEST_ASSERT(qp != NULL);
	assert(qp);
	TEST_CHECK(strcmp(qp[0], "singleton") == 0);

	// Non-numeric singleton after
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?99=ABC%2d123&singleton"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 1);
	TEST_ASSERT(qp != NULL);
	assert(qp);
	TEST_CHECK(strcmp(qp[0], "singleton") == 0);

	// Non-numeric compound before
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?compound1=QWERTY&99=ABC%2d123"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 1);
	TEST_ASSERT(qp != NULL);
	assert(qp);
	TEST_CHECK(strcmp(qp[0], "compound1=QWERTY") == 0);

	// Non-numeric compound after
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?99=ABC%2d123&compound1=QWERTY"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 1);
	TEST_ASSERT(qp != NULL);
	assert(qp);
	TEST_CHECK(strcmp(qp[0], "compound1=QWERTY") == 0);

	// Singleton and compound non-numeric query parameters before and after
	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?singleton1&compound1=QWERTY&99=ABC%2d123&singleton2&98=XYZ&compound2=12345"));
	TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 4);
	TEST_ASSERT(qp != NULL);
	assert(qp);
	TEST_CHECK(strcmp(qp[0], "singleton1") == 0);
	TEST_CHECK(strcmp(qp[1], "compound1=QWERTY") == 0);
	TEST_CHECK(strcmp(qp[2], "singleton2") == 0);
	TEST_CHECK(strcmp(qp[3], "compound2=12345") == 0);

	// Ignored query param longer than 255 bytes must not have its recorded
	// length truncated modulo 256 (regression for former uint8_t vallen)
	{
		char longbuf[512];
		char expect[301];
		int n;

		memset(expect, 'A', 300);
		expect[300] = '\0';
		n = snprintf(longbuf, sizeof(longbuf), "https://a/01/12312312312333/22/TESTING?%s", expect);
		TEST_ASSERT(n > 0 && (size_t)n < sizeof(longbuf));
		TEST_ASSERT(gs1_encoder_setDataStr(ctx, longbuf));
		TEST_ASSERT((numAIs = gs1_encoder_getDLignoredQueryParams(ctx, &qp)) == 1);
		TEST_ASSERT(qp != NULL);
		assert(qp);
		TEST_CHECK(strcmp(qp[0], expect) == 0);
		TEST_MSG("Ignored query param truncated: got length %zu, expected 300", strlen(qp[0]));
	}

	gs1_encoder_free(ctx);

}


void test_api_copyDLignoredQueryParams(void) {

DIAG_PUSH
DIAG_DISABLE_DEPRECATED_DECLARATIONS

	gs1_encoder* ctx;
	char buf[64];
	size_t needed;

	TEST_ASSERT((ctx = gs1_encoder_unit_test_init()) != NULL);
	assert(ctx);

	// No data should return empty string
	gs1_encoder_copyDLignoredQueryParams(ctx, (void*)buf, sizeof(buf));
	TEST_CHECK(buf[0] == '\0');

	TEST_ASSERT(gs1_encoder_setDataStr(ctx, "https://a/01/12312312312333/22/TESTING?singleton1&compound1=QWERTY&99=ABC%2d123&singleton2&98=XYZ&compound2=12345"));
	TEST_CHECK((needed = gs1_encoder_getDLignoredQueryParamsSize(ctx)) == 55);
	gs1_encoder_copyDLignoredQueryParams(ctx, (void*)buf, sizeof(buf));
	TEST_CHECK(strcmp(buf, "singleton1&compound1=QWERTY&singleton2&compound2=12345") == 0);
	TEST_CHECK(strlen(buf) == needed - 1);

	// Check buffer too short returns empty string
	gs1_encoder_copyDLignoredQueryParams(ctx, (void*)buf, needed - 1);
	TEST_CHECK(buf[0] == '\0');

	// max == 0 has no room even for a NUL, so nothing must be written
	buf[0] = 'X';
	gs1_encoder_copyDLignoredQueryParams(ctx, (void*)buf, 0);
	TEST_CHECK(buf[0] == 'X');

	gs1_encoder_free(ctx);

DIAG_POP

}


void test_api_allocFailures(void) {

	const gs1_encoder* ctx;

	/*
	 *  test_alloc_fail_at is a shared global counter across all TUs.
	 *  Each alloc (malloc/calloc/realloc) decrements it; when it
	 *  reaches 0 the allocation returns NULL.
	 *
	 *  Allocation sequence when loading an explicit Syntax Dictionary
	 *  (with no fallback, so each failure surfaces as init failure):
	 *    1: ctx malloc in gs1_encoder_init_ex
	 *    2: sd malloc in gs1_loadSyntaxDictionary
	 *    3: first gs1_strdup_alloc — attrs
	 *    4: first gs1_strdup_alloc — title
	 *    5..N: further attrs/title strdups for each AI entry
	 *    N+1: dlKeyQualifiers initial malloc
	 *    N+2..: addDLkeyQualifiers allocs
	 *
	 */
	{
		gs1_encoder_init_opts_t opts = {
			.struct_size		= sizeof(gs1_encoder_init_opts_t),
			.syntaxDictionary	= "gs1-syntax-dictionary.txt",
		};

		/* Alloc 1: ctx malloc failure in gs1_encoder_init_ex */
		test_alloc_fail_at = 1;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;

		/* Alloc 2: sd malloc failure in gs1_loadSyntaxDictionary */
		test_alloc_fail_at = 2;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;

		/* Alloc 3: attrs strdup failure in parseSyntaxDictionaryEntry */
		test_alloc_fail_at = 3;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;

		/* Alloc 4: title strdup failure in parseSyntaxDictionaryEntry */
		test_alloc_fail_at = 4;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;
	}

	/*
	 *  gs1_setAItable failure path: no syndict so we go straight
	 *  to the embedded table. Alloc 2 is the dlKeyQualifiers
	 *  initial malloc in gs1_populateDLkeyQualifiers, whose failure
	 *  sets FAILED_TO_MALLOC_FOR_KEY_QUALIFIERS and exercises the
	 *  error-classification switch in gs1_encoder_init_ex.
	 *
	 */
	{
		gs1_encoder_init_opts_t opts = {
			.struct_size = sizeof(gs1_encoder_init_opts_t),
		};
		test_alloc_fail_at = 2;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;
	}

	/*
	 *  Loading an explicit Syntax Dictionary exercises the parser
	 *  allocation path; alloc 2 (sd malloc) should still fail gracefully.
	 *
	 */
	{
		gs1_encoder_init_opts_t opts = {
			.struct_size = sizeof(gs1_encoder_init_opts_t),
			.syntaxDictionary = "gs1-syntax-dictionary.txt",
		};
		test_alloc_fail_at = 2;
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx == NULL);
		test_alloc_fail_at = 0;
	}

}


void test_api_brokenPrefixSyndict(void) {

	const char* const path = "test-syndict-broken-prefix.txt";
	FILE *fp;

	fp = fopen(path, "w");
	TEST_ASSERT(fp != NULL);
	if (!fp) return;
	fputs("21   X..20  # SERIAL\n", fp);
	fputs("210  N6     # CONFLICT\n", fp);	// Shares 2-digit prefix "21" with above; different length
	fclose(fp);

	{
		gs1_encoder *ctx;
		gs1_encoder_init_opts_t opts = {
			.struct_size		= sizeof(gs1_encoder_init_opts_t),
			.syntaxDictionary	= path,
		};
		ctx = gs1_encoder_init_ex(NULL, &opts);
		TEST_CHECK(ctx != NULL);	// setAItable falls back to embedded
		if (ctx) gs1_encoder_free(ctx);
	}

	remove(path);

}


#endif  /* UNIT_TESTS */
