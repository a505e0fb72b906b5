#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmictl on a live Debian 6.1 guest against its own /proc.
KGEN=6.1
. "$(dirname "$0")/vmictl-live.inc"
