package dev.printfleet.gateway.fanout;

import dev.printfleet.gateway.channels.Offset;
import java.time.Instant;

/**
 * One printer's status as dashboards receive it inside a {@code printer.status} frame; its offset
 * in its company's printing history, null when it was not kept.
 */
public record StatusUpdate(
    String printerId, String branch, String status, String detail, Instant at, Offset offset) {}
