/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP output with the kselftest conventions (tools/testing/selftests/
 * kselftest.h): "TAP version 13", a plan, "ok N"/"not ok N", "# SKIP", and
 * the exit codes prove and the kselftest runner understand.
 */
#ifndef VMIAAS_TAP_H
#define VMIAAS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static unsigned int ksft_nr, ksft_failed;

static inline void ksft_print_header(void)
{
	printf("TAP version 13\n");
}

static inline void ksft_set_plan(unsigned int n)
{
	printf("1..%u\n", n);
}

static inline void ksft_print_msg(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static inline void ksft_test_result(int pass, const char *fmt, ...)
{
	va_list ap;

	ksft_nr++;
	if (!pass)
		ksft_failed++;
	printf("%sok %u ", pass ? "" : "not ", ksft_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static inline void ksft_test_result_skip(const char *fmt, ...)
{
	va_list ap;

	ksft_nr++;
	printf("ok %u # SKIP ", ksft_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

static inline void __attribute__((noreturn)) ksft_exit_skip(const char *msg)
{
	if (!ksft_nr)
		printf("1..0 # SKIP %s\n", msg);
	exit(KSFT_SKIP);
}

static inline void __attribute__((noreturn)) ksft_finished(void)
{
	exit(ksft_failed ? KSFT_FAIL : KSFT_PASS);
}

/* Asserts and reports in one line; prints the values on failure. */
#define TEST_ASSERT(cond, fmt, ...)					\
	ksft_test_result(!!(cond), fmt "\n", ##__VA_ARGS__)

#endif /* VMIAAS_TAP_H */
