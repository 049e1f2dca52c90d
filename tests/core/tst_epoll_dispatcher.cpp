// The epoll event dispatcher against what Qt's own guarantee: timers never early and in
// order, zero timers that never block, posted events and wake-ups from other threads,
// notifiers that come and go while others are being activated, hang-ups, real TCP.
#include "../common/epoll_test_main.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSemaphore>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <array>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace auralis;

namespace {

// Both ends of a Unix stream socket pair, closed at the end.
struct SocketPair {
    int fd[2] = {-1, -1};
    SocketPair() { QVERIFY(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd) == 0); }
    ~SocketPair() {
        for (int f : fd) {
            if (f >= 0) {
                close(f);
            }
        }
    }
    void closeEnd(int i) {
        close(fd[i]);
        fd[i] = -1;
    }
};

bool epollRunsHere() {
    return dynamic_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance()) != nullptr;
}

// This thread's dispatcher (initTestCase made sure it is the epoll one).
EpollEventDispatcher& dispatcher() {
    return *static_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
}

} // namespace

class TestEpollDispatcher : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        if (!epollRunsHere()) {
            QSKIP("AURALIS_EVENT_LOOP=qt: Qt's own dispatcher runs this thread");
        }
    }

    void timersFireInOrderAndNeverEarly() {
        QElapsedTimer clock;
        clock.start();
        std::vector<std::pair<int, qint64>> fired;
        QEventLoop loop;
        for (int ms : {30, 10, 20, 0}) {
            QTimer::singleShot(ms, Qt::PreciseTimer, &loop, [&, ms] {
                fired.emplace_back(ms, clock.nsecsElapsed());
                if (fired.size() == 4) {
                    loop.quit();
                }
            });
        }
        loop.exec();
        QCOMPARE(fired.size(), std::size_t{4});
        const std::array<int, 4> order{0, 10, 20, 30};
        for (std::size_t i = 0; i < fired.size(); ++i) {
            QCOMPARE(fired[i].first, order[i]);
            QVERIFY2(fired[i].second >= fired[i].first * 1000000LL,
                     qPrintable(QString("%1 ms timer fired at %2 ns")
                                    .arg(fired[i].first)
                                    .arg(fired[i].second)));
        }
    }

    void aRepeatingTimerKeepsItsPeriodAndStops() {
        QTimer timer;
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(5);
        QElapsedTimer clock;
        std::vector<qint64> at;
        QEventLoop loop;
        connect(&timer, &QTimer::timeout, &loop, [&] {
            at.push_back(clock.nsecsElapsed());
            if (at.size() == 10) {
                timer.stop();
                loop.quit();
            }
        });
        clock.start();
        timer.start();
        QVERIFY(dispatcher().remainingTime(timer.timerId()) <= 5);
        loop.exec();
        QCOMPARE(at.size(), std::size_t{10});
        // The n-th expiry is never before n periods (the phase is kept, not drifting late).
        for (std::size_t i = 0; i < at.size(); ++i) {
            QVERIFY(at[i] >= static_cast<qint64>(i + 1) * 5000000);
        }
        QCOMPARE(dispatcher().remainingTime(timer.timerId()), -1);
        QVERIFY(dispatcher().registeredTimers(&timer).isEmpty());
    }

    void aZeroTimerNeverBlocksTheLoop() {
        QTimer zero;
        zero.setInterval(0);
        int ticks = 0;
        connect(&zero, &QTimer::timeout, this, [&] { ++ticks; });
        zero.start();
        // With a zero timer running, waiting for more events must not wait.
        for (int i = 0; i < 5; ++i) {
            QVERIFY(
                QCoreApplication::eventDispatcher()->processEvents(QEventLoop::WaitForMoreEvents));
        }
        QCOMPARE(ticks, 5); // once a pass, never twice
        zero.stop();
        QCoreApplication::processEvents(); // whatever was posted meanwhile
        QVERIFY(!QCoreApplication::eventDispatcher()->processEvents(QEventLoop::AllEvents));
    }

    void aNestedLoopDoesNotReenterATimerInItsEvent() {
        QTimer timer;
        timer.setInterval(1);
        int depth = 0;
        int maxDepth = 0;
        int calls = 0;
        connect(&timer, &QTimer::timeout, this, [&] {
            ++depth;
            ++calls;
            maxDepth = std::max(maxDepth, depth);
            if (calls == 1) {
                QEventLoop nested;
                QTimer::singleShot(20, &nested, &QEventLoop::quit);
                nested.exec();
            }
            --depth;
        });
        timer.start();
        QTRY_VERIFY(calls >= 3);
        timer.stop();
        QCOMPARE(maxDepth, 1);
    }

    void aPostFromAnotherThreadWakesTheLoop() {
        QEventLoop loop;
        bool arrived = false;
        QThread* poster = QThread::create([&] {
            QMetaObject::invokeMethod(
                &loop,
                [&] {
                    arrived = true;
                    loop.quit();
                },
                Qt::QueuedConnection);
        });
        QTimer::singleShot(10000, &loop, &QEventLoop::quit); // a lost wake-up fails, not hangs
        poster->start();
        loop.exec();
        poster->wait();
        delete poster;
        QVERIFY(arrived);
    }

    void exitFromAnotherThreadInterruptsTheWait() {
        QEventLoop loop;
        // The other thread exits the loop once it is about to block (then it waits, or its
        // wait returns at once on the wake-up): the exit must end the wait either way.
        QSemaphore blocking;
        const auto connection = connect(
            QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock, this,
            [&] { blocking.release(); }, Qt::DirectConnection);
        std::unique_ptr<QThread> quitter(QThread::create([&] {
            blocking.acquire();
            loop.exit(7);
        }));
        QTimer::singleShot(10000, &loop, [&] { loop.exit(-1); }); // a lost wake-up fails
        quitter->start();
        QCOMPARE(loop.exec(), 7);
        quitter->wait();
        disconnect(connection);
    }

    void notifiersSeeReadinessAndNothingWhenDisabled() {
        SocketPair pair;
        QSocketNotifier reader(pair.fd[0], QSocketNotifier::Read);
        QSocketNotifier writer(pair.fd[0], QSocketNotifier::Write);
        int reads = 0;
        int writes = 0;
        connect(&reader, &QSocketNotifier::activated, this, [&] {
            ++reads;
            char buf[64];
            QVERIFY(::read(pair.fd[0], buf, sizeof buf) > 0);
        });
        connect(&writer, &QSocketNotifier::activated, this, [&] {
            ++writes;
            writer.setEnabled(false);
        });
        QCOMPARE(dispatcher().watchedDescriptors(), std::size_t{1});
        QTRY_COMPARE(writes, 1); // writable at once
        QCOMPARE(reads, 0);
        QVERIFY(::write(pair.fd[1], "x", 1) == 1);
        QTRY_COMPARE(reads, 1);
        reader.setEnabled(false);
        QCOMPARE(dispatcher().watchedDescriptors(), std::size_t{0});
        QVERIFY(::write(pair.fd[1], "y", 1) == 1);
        QCoreApplication::processEvents();
        QCOMPARE(reads, 1);
        reader.setEnabled(true); // level-triggered: the waiting byte is seen now
        QTRY_COMPARE(reads, 2);
        QCOMPARE(writes, 1);
    }

    void aNotifierRemovedByAnotherIsNotActivated() {
        SocketPair pair;
        QSocketNotifier reader(pair.fd[0], QSocketNotifier::Read);
        auto* writer = new QSocketNotifier(pair.fd[0], QSocketNotifier::Write);
        int writes = 0;
        connect(writer, &QSocketNotifier::activated, this, [&] { ++writes; });
        int reads = 0;
        connect(&reader, &QSocketNotifier::activated, this, [&] {
            ++reads;
            delete writer; // ready in the same wake: must not be activated after this
            writer = nullptr;
            reader.setEnabled(false);
        });
        QVERIFY(::write(pair.fd[1], "x", 1) == 1);
        // Both are ready before the loop looks: one epoll event, the reader goes first.
        QTRY_COMPARE(reads, 1);
        QCOMPARE(writes, 0);
        QCOMPARE(dispatcher().watchedDescriptors(), std::size_t{0});
    }

    void aHangUpReachesTheReaderAndDoesNotSpin() {
        SocketPair pair;
        auto* reader = new QSocketNotifier(pair.fd[0], QSocketNotifier::Read);
        int reads = 0;
        connect(reader, &QSocketNotifier::activated, this, [&] {
            ++reads;
            char buf[8];
            if (::read(pair.fd[0], buf, sizeof buf) == 0) { // end of stream: done with it
                reader->deleteLater();
            }
        });
        pair.closeEnd(1);
        QTRY_COMPARE(dispatcher().watchedDescriptors(), std::size_t{0});
        QCOMPARE(reads, 1);
        // Nothing left to report: a pass that may not wait finds nothing.
        QCoreApplication::processEvents(); // the deferred delete's wake-up
        QVERIFY(!QCoreApplication::eventDispatcher()->processEvents(QEventLoop::AllEvents));
    }

    void tcpCarriesAMegabyteBothWays() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        QTcpSocket client;
        QByteArray payload(1 << 20, Qt::Uninitialized);
        for (int i = 0; i < payload.size(); ++i) {
            payload[i] = static_cast<char>(i * 131 + (i >> 9));
        }
        QByteArray echoed;
        connect(&server, &QTcpServer::newConnection, this, [&] {
            QTcpSocket* peer = server.nextPendingConnection();
            connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
        });
        connect(&client, &QTcpSocket::readyRead, this, [&] { echoed += client.readAll(); });
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        client.write(payload);
        QTRY_COMPARE_WITH_TIMEOUT(echoed.size(), payload.size(), 20000);
        QVERIFY(echoed == payload);
        client.disconnectFromHost();
    }

    void aTimerMovesWithItsObjectToAnotherThread() {
        QThread worker;
        useEventDispatcher(worker);
        worker.start();
        QTimer timer;
        timer.setInterval(2);
        QAtomicInt ticks = 0;
        QAtomicPointer<QThread> firedIn = nullptr;
        connect(
            &timer, &QTimer::timeout, &timer,
            [&] {
                firedIn.storeRelease(QThread::currentThread());
                ticks.fetchAndAddRelaxed(1);
            },
            Qt::DirectConnection);
        timer.start();
        QTRY_VERIFY(ticks.loadRelaxed() >= 2);
        QCOMPARE(firedIn.loadAcquire(), QThread::currentThread());
        timer.moveToThread(&worker); // unregistered here, registered there
        QVERIFY(dispatcher().registeredTimers(&timer).isEmpty());
        const int before = ticks.loadRelaxed();
        QTRY_VERIFY(ticks.loadRelaxed() >= before + 3);
        QCOMPARE(firedIn.loadAcquire(), &worker);
        QMetaObject::invokeMethod(
            &timer,
            [&] {
                timer.stop();
                timer.moveToThread(QCoreApplication::instance()->thread());
            },
            Qt::BlockingQueuedConnection);
        worker.quit();
        QVERIFY(worker.wait(10000));
    }
};

AURALIS_TEST_MAIN(TestEpollDispatcher)
#include "tst_epoll_dispatcher.moc"
