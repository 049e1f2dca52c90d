#include "core/address_limits.h"

#include <algorithm>

namespace auralis::core {

QString AddressLimits::key(const QHostAddress& address) {
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // also unwraps ::ffff:a.b.c.d
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}

bool AddressLimits::exempt(const QHostAddress& address) const {
    return m_limits.exemptLoopback && address.isLoopback();
}

AddressLimits::Entry& AddressLimits::entry(const QHostAddress& address) {
    return m_byAddress[key(address)];
}

void AddressLimits::forgetIfIdle(const QString& k) {
    const auto it = m_byAddress.find(k);
    if (it == m_byAddress.end() || it->second.connections > 0 || it->second.listeners > 0) {
        return;
    }
    // Keep a bucket that is still refilling, or its debt would be forgiven by reconnecting.
    if (it->second.tokens >= 0 && m_limits.requestsPerSecond > 0) {
        const double refilled =
            it->second.tokens + static_cast<double>(m_clock.nowUs() - it->second.refilledUs) / 1e6 *
                                    m_limits.requestsPerSecond;
        if (refilled < m_limits.requestBurst) {
            return;
        }
    }
    m_byAddress.erase(it);
}

bool AddressLimits::openConnection(const QHostAddress& address) {
    Entry& e = entry(address);
    if (m_limits.connections > 0 && e.connections >= m_limits.connections && !exempt(address)) {
        return false;
    }
    ++e.connections;
    return true;
}

void AddressLimits::closeConnection(const QHostAddress& address) {
    Entry& e = entry(address);
    e.connections = std::max(0, e.connections - 1);
    forgetIfIdle(key(address));
}

bool AddressLimits::admitListener(const QHostAddress& address) {
    Entry& e = entry(address);
    if (m_limits.listeners > 0 && e.listeners >= m_limits.listeners && !exempt(address)) {
        forgetIfIdle(key(address));
        return false;
    }
    ++e.listeners;
    return true;
}

void AddressLimits::releaseListener(const QHostAddress& address) {
    Entry& e = entry(address);
    e.listeners = std::max(0, e.listeners - 1);
    forgetIfIdle(key(address));
}

bool AddressLimits::allowRequest(const QHostAddress& address) {
    if (m_limits.requestsPerSecond <= 0 || exempt(address)) {
        return true;
    }
    Entry& e = entry(address);
    const qint64 now = m_clock.nowUs();
    if (e.tokens < 0) {
        e.tokens = m_limits.requestBurst;
    } else {
        e.tokens =
            std::min(m_limits.requestBurst, e.tokens + static_cast<double>(now - e.refilledUs) /
                                                           1e6 * m_limits.requestsPerSecond);
    }
    e.refilledUs = now;
    if (e.tokens < 1) {
        return false;
    }
    e.tokens -= 1;
    return true;
}

int AddressLimits::connections(const QHostAddress& address) const {
    const auto it = m_byAddress.find(key(address));
    return it == m_byAddress.end() ? 0 : it->second.connections;
}

int AddressLimits::listeners(const QHostAddress& address) const {
    const auto it = m_byAddress.find(key(address));
    return it == m_byAddress.end() ? 0 : it->second.listeners;
}

} // namespace auralis::core
