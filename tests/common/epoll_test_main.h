// A test main like QTEST_GUILESS_MAIN whose thread runs the event dispatcher the programs run
// (epoll, or Qt's own when AURALIS_EVENT_LOOP=qt), so that the node under test is dispatched
// as in production.
#pragma once

#include "protocol/epoll_dispatcher.h"

#include <QCoreApplication>
#include <QTest>

#define AURALIS_TEST_MAIN(TestObject)                                                              \
    int main(int argc, char* argv[]) {                                                             \
        auralis::useEventDispatcherForApplication();                                               \
        QCoreApplication app(argc, argv);                                                          \
        TestObject tc;                                                                             \
        QTEST_SET_MAIN_SOURCE_PATH                                                                 \
        return QTest::qExec(&tc, argc, argv);                                                      \
    }
