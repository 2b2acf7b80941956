package status

// command is the cmd parameter (jk_status.c JK_STATUS_CMD_*).
type command uint8

const (
	cmdUnknown command = iota
	cmdList
	cmdShow
	cmdEdit
	cmdUpdate
	cmdReset
	cmdVersion
	cmdRecover
	cmdDump
)

var cmdNames = [...]string{"unknown", "list", "show", "edit", "update", "reset", "version", "recover", "dump"}

func (c command) String() string { return cmdNames[c] }

// parseCommand maps cmd; absent means list, anything unknown is
// cmdUnknown ("Invalid command.").
func parseCommand(v string, given bool) command {
	if !given {
		return cmdList
	}
	for i, n := range cmdNames {
		if i > 0 && n == v {
			return command(i)
		}
	}
	return cmdUnknown
}

// changes reports the commands that change state: mod_jk refuses them in
// read-only mode (JK_STATUS_CMD_PROP_READONLY is the complement, which
// also contains edit).
func (c command) changes() bool { return c == cmdUpdate || c == cmdReset || c == cmdRecover }

// writes reports the commands refused in read-only mode.
func (c command) writes() bool { return c.changes() || c == cmdEdit }

// checksWorker reports the commands that need w (and check sw).
func (c command) checksWorker() bool { return c != cmdList && c != cmdVersion && c != cmdDump }

// showsHead reports the commands that print the time and software lines.
func (c command) showsHead() bool {
	return c == cmdList || c == cmdShow || c == cmdVersion || c == cmdDump
}

// mimeType is the mime parameter.
type mimeType uint8

const (
	mimeUnknown mimeType = iota
	mimeHTML
	mimeXML
	mimeTXT
	mimePROP
)

var mimeNames = [...]string{"unknown", "html", "xml", "txt", "prop"}

func (m mimeType) String() string { return mimeNames[m] }

func parseMime(v string, given bool) mimeType {
	if !given {
		return mimeHTML
	}
	for i, n := range mimeNames {
		if i > 0 && n == v {
			return mimeType(i)
		}
	}
	return mimeUnknown
}

// contentType is what mod_jk sends for each mime.
func (m mimeType) contentType() string {
	switch m {
	case mimeHTML:
		return "text/html; charset=utf-8"
	case mimeXML:
		return "text/xml; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// Bits of the opt parameter (JK_STATUS_ARG_OPTION_*).
const (
	optNoMembers   = 0x0001
	optNoMaps      = 0x0002
	optNoLegend    = 0x0004
	optNoLB        = 0x0008
	optNoAJP       = 0x0010
	optReadOnly    = 0x0020
	optNoLBConf    = 0x0040
	optNoLBSummary = 0x0080
	optNoAJPConf   = 0x0100
)

// Parameter names (JK_STATUS_ARG_*).
const (
	argCmd       = "cmd"
	argMime      = "mime"
	argFrom      = "from"
	argRefresh   = "re"
	argWorker    = "w"
	argSubWorker = "sw"
	argPrevSub   = "psw"
	argAttribute = "att"
	argValue     = "val"
	argOptions   = "opt"
	argToken     = "token" // jkbalancer: the CSRF token of a form
)

// Messages mod_jk puts in the result.
const (
	msgOK            = "Action finished"
	msgInvalidCmd    = "Invalid command."
	msgInvalidMime   = "Invalid mime type."
	msgParse         = "Error during parsing of URI"
	msgDenied        = "Access denied."
	msgReadOnly      = "This command is not allowed in read only mode."
	msgNoWorker      = "NULL or EMPTY worker param"
	msgEmptySub      = "EMPTY sub worker param"
	msgNoSub         = "NULL or EMPTY sub_worker param"
	msgUnknownWorker = "Could not find given worker"
	msgUnknownSub    = "could not find sub worker"
	msgNoSubWorkers  = "worker type has no sub workers"
	msgNotLB         = "worker type not implemented"
	msgWildcard      = "wildcard not allowed in sub worker for this command"
	msgUpdateFailed  = "Update failed"
	msgResetFailed   = "Reset failed"
	msgRecoverFailed = "Marking worker for recovery failed"
	msgEditFailed    = "Error in generating this worker's configuration form."
	msgDumpFailed    = "Dumping configuration failed"
)
