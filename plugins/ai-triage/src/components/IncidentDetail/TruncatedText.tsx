import { useState } from 'react';
import Link from '@material-ui/core/Link';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  text: {
    fontFamily: 'monospace',
    overflowWrap: 'anywhere',
  },
  toggle: {
    marginLeft: theme.spacing(1),
    fontFamily: theme.typography.fontFamily,
    verticalAlign: 'baseline',
  },
}));

/** Characters shown of a long template or attribute before "Show all". */
const TRUNCATE_AT = 160;

/**
 * Monospace text cut at `max` characters, with a button to show it all (and to shorten it again).
 *
 * @internal
 */
export function TruncatedText(props: { text: string; max?: number }) {
  const { text, max = TRUNCATE_AT } = props;
  const classes = useStyles();
  const [expanded, setExpanded] = useState(false);
  const long = text.length > max;
  return (
    <span className={classes.text}>
      {long && !expanded ? `${text.slice(0, max)}…` : text}
      {long && (
        <Link
          component="button"
          type="button"
          variant="body2"
          className={classes.toggle}
          aria-expanded={expanded}
          onClick={() => setExpanded(!expanded)}
        >
          {expanded ? 'Show less' : `Show all ${text.length} characters`}
        </Link>
      )}
    </span>
  );
}
