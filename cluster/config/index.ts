// The public face of cluster/config: Mesos-style flags, environment and config files.

export { ConfigError, ValueError, type ConfigErrorCode, type ConfigErrorDetails, type FlagSource } from './errors.js'
export { Duration, DURATION_UNITS, type DurationUnit } from './duration.js'
export { Bytes, BYTES_UNITS, type BytesUnit } from './bytes.js'
export { editDistance, closest } from './suggest.js'
export {
  flag,
  inGroup,
  without,
  type AnyFlag,
  type FlagKind,
  type FlagTable,
  type FlagValue,
  type Flags,
  type Check,
} from './flag-table.js'
export { parseFlags, wantsHelp, expectedOf, toEnvironment, ENV_PREFIX, type ParseOptions, type ParseResult } from './flags.js'
export { parseConfText, readConfFile, resolveConfPath, CONF_FILE_NAME, type ConfEntry, type ConfFile } from './conf-file.js'
export { parseHostsText, readHostsFile, readDeployFiles, type DeployHost, type DeployFiles } from './deploy-files.js'
export { parseMasterAddress, parseNatsUrl, formatMasterAddress, MASTER_ADDRESS_EXPECTED, type MasterAddress } from './master-address.js'
export { generalFlags, loggingFlags, natsFlags, networkFlags, pinoLevel, LOGGING_LEVELS, type LoggingLevel } from './common-flags.js'
export { masterFlags, masterOnlyFlags, masterUnsupported } from './master-flags.js'
export { agentFlags, agentOnlyFlags, agentUnsupported } from './agent-flags.js'
export { localFlags, localOnlyFlags } from './local-flags.js'
export { executeFlags, executeOnlyFlags, parseEnvironmentJson } from './execute-flags.js'
export { natsCommandFlags, natsServerFlags } from './nats-flags.js'
export { startClusterFlags, stopClusterFlags } from './cluster-script-flags.js'
export { psFlags, catFlags, tailFlags, parseMasterHttpAddress } from './task-tool-flags.js'
export { commands, parseCommandFlags, isCommandName, type CommandName, type CommandFlags, type CommandSpec } from './commands.js'
export { commandHelp, programHelp, flagHelp, flagSyntax, type HelpOptions } from './help.js'
export { readClusterConf, type ClusterConf } from './cluster-conf.js'
