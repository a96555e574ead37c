// A message body on screen: the token tree of lib/markdown.ts turned into React elements. Text
// is always a text node; a link's href has already been checked (http, https, mailto only).

import { Fragment, useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { parseMarkdown, type Block, type Inline } from '../../lib/markdown';

export interface BodyContext {
  /** User ids the server says are mentioned: only these tokens become chips. */
  mentions: readonly string[];
  nameOf: (userId: string) => string | undefined;
  meId: string;
}

function InlineNodes({ nodes, ctx }: { nodes: Inline[]; ctx: BodyContext }): ReactNode {
  const { t } = useTranslation();
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text':
        return <Fragment key={i}>{n.text}</Fragment>;
      case 'br':
        return <br key={i} />;
      case 'bold':
        return <strong key={i}><InlineNodes nodes={n.children} ctx={ctx} /></strong>;
      case 'italic':
        return <em key={i}><InlineNodes nodes={n.children} ctx={ctx} /></em>;
      case 'strike':
        return <s key={i}><InlineNodes nodes={n.children} ctx={ctx} /></s>;
      case 'code':
        return <code key={i} className="md-code">{n.text}</code>;
      case 'link':
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            <InlineNodes nodes={n.children} ctx={ctx} />
          </a>
        );
      case 'mention': {
        if (!ctx.mentions.includes(n.userId)) return <Fragment key={i}>{`<@${n.userId}>`}</Fragment>;
        const name = ctx.nameOf(n.userId) ?? t('chat.someone');
        return (
          <span key={i} className={`mention${n.userId === ctx.meId ? ' mention-me' : ''}`} data-testid="mention-chip" data-user-id={n.userId}>
            @{name}
          </span>
        );
      }
      case 'special':
        return (
          <span key={i} className="mention mention-me" data-testid="mention-special">
            @{n.name}
          </span>
        );
      default:
        return null;
    }
  });
}

function Blocks({ blocks, ctx }: { blocks: Block[]; ctx: BodyContext }): ReactNode {
  return blocks.map((b, i) => {
    switch (b.type) {
      case 'paragraph':
        return <p key={i}><InlineNodes nodes={b.children} ctx={ctx} /></p>;
      case 'code':
        return (
          <pre key={i} className="md-pre">
            <code>{b.text}</code>
          </pre>
        );
      case 'quote':
        return (
          <blockquote key={i} className="md-quote">
            <Blocks blocks={b.children} ctx={ctx} />
          </blockquote>
        );
      case 'list': {
        const items = b.items.map((item, j) => (
          <li key={j}>
            <InlineNodes nodes={item} ctx={ctx} />
          </li>
        ));
        return b.ordered ? (
          <ol key={i} className="md-list" start={b.start}>{items}</ol>
        ) : (
          <ul key={i} className="md-list">{items}</ul>
        );
      }
      default:
        return null;
    }
  });
}

export function MessageBody({ body, ctx }: { body: string; ctx: BodyContext }) {
  const blocks = useMemo(() => parseMarkdown(body), [body]);
  return (
    <div className="md" data-testid="message-body">
      <Blocks blocks={blocks} ctx={ctx} />
    </div>
  );
}
