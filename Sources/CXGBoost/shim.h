#ifndef LEADGATE_CXGBOOST_SHIM_H
#define LEADGATE_CXGBOOST_SHIM_H
// The xgboost C API (Debian's libxgboost-dev), used by `leadgate train` to train with the real
// library. Serving never goes through it: the gateway evaluates the saved JSON model natively.
#include <xgboost/c_api.h>
#endif
