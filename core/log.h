// The node's logging category (auralis.node), shared by its parts. Any thread.
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcNode)
