/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The one place where the freestanding core meets its environment.
 *
 * Every file in core/ includes this header and nothing else from outside
 * core/: it is compiled into vmiaas.ko (__KERNEL__) and into the userspace
 * engine. The rest of core/ is environment-free: no allocation it does not
 * own, no I/O, no logging, no globals.
 */
#ifndef VMI_ENV_H
#define VMI_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/overflow.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/prefetch.h>

#define vmi_prefetch(p)	prefetch(p)
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <assert.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#ifndef static_assert
#define static_assert _Static_assert
#endif
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef min
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#endif
#ifndef min_t
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#endif
/* Starts a cache miss for @p's line; never faults. */
#define vmi_prefetch(p)	__builtin_prefetch(p)
#endif /* __KERNEL__ */

/* Unaligned little-endian loads from guest bytes (x86 guests only). */
static inline u16 vmi_get_u16(const void *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u32 vmi_get_u32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline u64 vmi_get_u64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#endif /* VMI_ENV_H */
