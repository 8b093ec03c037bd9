/**
 * Outgoing mail through nodemailer. With SMTP_URL set, messages go to that server; without it they
 * are written to the log (development) and kept in `sent` (tests read the password-reset link there).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export class Mailer {
  private readonly transport: Transporter;
  /** messages handed to the transport, newest last (kept only without SMTP, at most 100) */
  readonly sent: MailMessage[] = [];

  constructor(private readonly options: { smtpUrl?: string; from: string; logger: Logger }) {
    this.transport = options.smtpUrl ? nodemailer.createTransport(options.smtpUrl) : nodemailer.createTransport({ jsonTransport: true });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.options.from, ...message });
    if (!this.options.smtpUrl) {
      this.sent.push(message);
      if (this.sent.length > 100) this.sent.shift();
      this.options.logger.info({ to: message.to, subject: message.subject }, 'mail (no SMTP_URL set: not sent)');
    }
  }
}
