-- When the agent's connect or disconnect that last set `online` happened (the gateway's clock):
-- events travel by different gateways and may arrive out of order, and only a newer one counts
-- (a disconnect from the old gateway landing after the connect on the new one changes nothing).
ALTER TABLE printers ADD COLUMN online_changed_at timestamptz;
