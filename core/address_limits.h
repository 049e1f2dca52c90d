// Limits per client address, so that one address cannot take what everyone shares: open HTTP
// connections, listeners, and a request rate (token bucket). Addresses are normalised (an
// IPv4-mapped IPv6 address counts as its IPv4). Plain logic on an injected clock; one thread.
#pragma once

#include "protocol/clock.h"

#include <QHostAddress>
#include <QString>

#include <unordered_map>

namespace auralis::core {

class AddressLimits {
public:
    struct Limits {
        int connections = 16;          // open HTTP connections (0: no limit)
        int listeners = 32;            // WebSocket listeners (0: no limit)
        double requestsPerSecond = 50; // sustained HTTP requests (0: no limit)
        double requestBurst = 100;
        /// Loopback peers (this machine) are not limited: the dashboard's embedded node, whose
        /// offline demo runs hundreds of listeners from 127.0.0.1.
        bool exemptLoopback = false;
    };
    AddressLimits(Limits limits, const Clock& clock) : m_limits(limits), m_clock(clock) {}

    /// False when `address` already has its limit of connections; else counts one more.
    bool openConnection(const QHostAddress& address);
    void closeConnection(const QHostAddress& address);
    bool admitListener(const QHostAddress& address);
    void releaseListener(const QHostAddress& address);
    /// Takes a token from the address's request bucket; false when it is empty.
    bool allowRequest(const QHostAddress& address);

    int connections(const QHostAddress& address) const;
    int listeners(const QHostAddress& address) const;
    const Limits& limits() const { return m_limits; }
    /// Addresses currently tracked (entries vanish when nothing is open and the bucket is full).
    std::size_t tracked() const { return m_byAddress.size(); }
    static QString key(const QHostAddress& address);

private:
    struct Entry {
        int connections = 0;
        int listeners = 0;
        double tokens = -1; // -1: full (not yet used)
        qint64 refilledUs = 0;
    };
    Entry& entry(const QHostAddress& address);
    bool exempt(const QHostAddress& address) const;
    void forgetIfIdle(const QString& key);

    Limits m_limits;
    const Clock& m_clock;
    std::unordered_map<QString, Entry> m_byAddress;
};

} // namespace auralis::core
