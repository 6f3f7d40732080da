package dev.printfleet.gateway.fanout;

import java.time.Instant;

/** One printer's status as dashboards receive it inside a {@code printer.status} frame. */
public record StatusUpdate(
    String printerId, String branch, String status, String detail, Instant at) {}
