#!/bin/sh
# keepalived notify hook: called as  notify_jkbalancer.sh TYPE NAME STATE PRIORITY
# (TYPE is INSTANCE, NAME the vrrp_instance, STATE MASTER, BACKUP or FAULT).
# jkbalancer needs no action on a takeover: it runs on both hosts and binds
# the wildcard address, so it serves the virtual IP as soon as it arrives.
# This only records the transition; replace it with your alerting.
logger -t keepalived-jkbalancer "vrrp $1 $2 is now $3 (priority ${4:-?})"
