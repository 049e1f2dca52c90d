// How long a test waits before it calls something broken. A limit here is never a claim about
// speed: a passing check returns as soon as its condition holds, so the limits are sized for a
// machine ten times slower than a quiet developer's (a busy CI host, an ASan build).
// Include after <QtTest>: the default QTRY_* limit (5 s) becomes kPatienceMs.
#pragma once

#include <QtTest>

namespace auralis::test {

inline constexpr int kPatienceMs = 30000;

} // namespace auralis::test

#undef QTRY_VERIFY
#define QTRY_VERIFY(expr) QTRY_VERIFY_WITH_TIMEOUT(expr, auralis::test::kPatienceMs)
#undef QTRY_VERIFY2
#define QTRY_VERIFY2(expr, messageExpression)                                                      \
    QTRY_VERIFY2_WITH_TIMEOUT(expr, messageExpression, auralis::test::kPatienceMs)
#undef QTRY_COMPARE
#define QTRY_COMPARE(expr, expected)                                                               \
    QTRY_COMPARE_WITH_TIMEOUT(expr, expected, auralis::test::kPatienceMs)
