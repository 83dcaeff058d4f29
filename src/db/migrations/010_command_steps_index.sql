-- A command that writes several streams records each earlier step as '<commandId>/<step>'; a
-- repeat of the command returns them with its own append (EventStore.findCommandSteps). Only step
-- rows are indexed, so the append path of ordinary commands maintains nothing more.
CREATE INDEX commands_steps ON commands (command_id text_pattern_ops) WHERE strpos(command_id, '/') > 0;
