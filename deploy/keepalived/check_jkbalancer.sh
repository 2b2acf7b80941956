#!/bin/sh
# keepalived vrrp_script: healthy while the local jkbalancer answers
# /healthz on its admin listener (jkbalancer.yaml admin.listen, default
# 127.0.0.1:8099). Exit 0 = healthy. keepalived runs it every interval
# seconds; "fall" failures in a row move the virtual IP to the peer.
#
# /healthz, not /readyz: a balancer whose Tomcats are all down is still the
# right one to hold the address (the peer would see the same Tomcats), but a
# hung or crashed balancer is not.
exec curl --silent --fail --max-time 2 --output /dev/null \
    "http://${JKBALANCER_ADMIN:-127.0.0.1:8099}/healthz"
