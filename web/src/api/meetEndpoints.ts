// The meetings API (docs/meet-protocol.md): REST for creating, joining and hosting meetings, and
// the types of the meeting WebSocket. Hand-written from the contract until the server's OpenAPI
// spec carries these endpoints (then the REST shapes move to types.ts, derived from schema.d.ts).
// In its own module so it stays in the lazily loaded meetings chunks.

import { api } from './client';

export type MeetingStatus = 'live' | 'ended';
export type WaitingRoomMode = 'off' | 'guests' | 'everyone';
export type ParticipantRole = 'host' | 'cohost' | 'participant';
export type ParticipantState = 'waiting' | 'admitted' | 'denied' | 'removed' | 'left';
export type TrackSource = 'mic' | 'cam' | 'screen';

/** What anyone with the number and passcode learns about a meeting (no passcode). */
export interface MeetingPublic {
  id: string;
  org_id: string;
  number: string;
  title: string;
  host_name: string;
  locked: boolean;
  status: MeetingStatus;
}

export interface Meeting extends MeetingPublic {
  /** Only for the host and cohosts; null for everyone else. */
  passcode: string | null;
  host_id: string;
  waiting_room: WaitingRoomMode;
  allow_guests: boolean;
  spotlight: string | null;
  created_at: string;
  ended_at: string | null;
  join_url: string;
  participant_count: number;
}

export interface Participant {
  id: string;
  meeting_id: string;
  user_id: string | null;
  name: string;
  role: ParticipantRole;
  state: ParticipantState;
  guest: boolean;
}

export interface IceServer {
  urls: string[] | string;
  username?: string;
  credential?: string;
}

export interface JoinRequest {
  number: string;
  passcode: string;
  name?: string;
  device_key?: string;
}

export interface JoinResult {
  meeting: MeetingPublic;
  participant: Participant;
  token: string;
  ice_servers: IceServer[];
}

export interface NewMeeting {
  title?: string;
  passcode?: string;
  waiting_room?: WaitingRoomMode;
  allow_guests?: boolean;
}

export interface MeetingPatch {
  title?: string;
  locked?: boolean;
  waiting_room?: WaitingRoomMode;
  allow_guests?: boolean;
  passcode?: string;
}

export type ParticipantAction =
  | 'admit'
  | 'deny'
  | 'remove'
  | 'mute'
  | 'ask-unmute'
  | 'stop-video'
  | 'spotlight'
  | 'unspotlight'
  | 'make-cohost'
  | 'make-participant'
  | 'rename';

const enc = encodeURIComponent;
const meetings = (orgId: string) => `/orgs/${enc(orgId)}/meetings`;
const meeting = (orgId: string, id: string) => `${meetings(orgId)}/${enc(id)}`;

export const joinMeeting = (body: JoinRequest) => api.post<JoinResult>('/meet/join', body);
export const createMeeting = (orgId: string, body: NewMeeting) => api.post<Meeting>(meetings(orgId), body);
export const listMeetings = (orgId: string) => api.get<{ meetings: Meeting[] }>(meetings(orgId));
export const getMeeting = (orgId: string, id: string) => api.get<Meeting>(meeting(orgId, id));
export const patchMeeting = (orgId: string, id: string, body: MeetingPatch) =>
  api.patch<Meeting>(meeting(orgId, id), body);
export const endMeeting = (orgId: string, id: string) => api.post<void>(`${meeting(orgId, id)}/end`);
export const listParticipants = (orgId: string, id: string) =>
  api.get<{ participants: Participant[] }>(`${meeting(orgId, id)}/participants`);
export const participantAction = (
  orgId: string,
  id: string,
  participantId: string,
  action: ParticipantAction,
  body?: { name: string },
) => api.post<void>(`${meeting(orgId, id)}/participants/${enc(participantId)}/${action}`, body);
export const muteAll = (orgId: string, id: string) => api.post<void>(`${meeting(orgId, id)}/mute-all`);

// ---------------------------------------------------------------------------------------------
// The meeting WebSocket (`GET /api/v1/meet/ws`)

export interface RoomMeeting {
  id: string;
  org_id: string;
  number: string;
  title: string;
  locked: boolean;
  host_id: string;
  spotlight: string | null;
  /** Only for the host and cohosts. */
  passcode?: string | null;
  waiting: Participant[];
}

export interface PeerTrack {
  id: string;
  source: TrackSource;
}

export interface Peer {
  id: string;
  name: string;
  role: ParticipantRole;
  guest: boolean;
  mic: boolean;
  cam: boolean;
  screen: boolean;
  hand: boolean;
  quality: number | null;
  tracks: PeerTrack[];
}

/** A line of the meeting chat: a message of the meeting's chat conversation (members; it has a
 * `message_id`) or a line that lives in the room only (guests). */
export interface RoomChat {
  /** The author's participant id; null for a member who wrote from the chat page and is not in
   * the meeting. */
  id: string | null;
  user_id?: string;
  message_id?: string;
  name: string;
  text: string;
  /** Attached files (open the chat to see them). */
  files?: number;
  at: string;
}

export interface SubTrack {
  peer: string;
  track: string;
  source: TrackSource;
}

export type MeetServerMessage =
  | {
      t: 'welcome';
      you: Participant;
      meeting: RoomMeeting;
      participants: Peer[];
      ice_servers?: IceServer[];
      /** Members only: the meeting's chat conversation. */
      conversation_id?: string | null;
    }
  | { t: 'waiting'; meeting?: RoomMeeting }
  | { t: 'admitted' }
  | { t: 'denied' }
  | { t: 'removed' }
  | { t: 'ended' }
  | { t: 'replaced' }
  | { t: 'peer'; peer: Peer }
  | { t: 'peer_left'; id: string }
  | { t: 'waiting_list'; waiting: Participant[] }
  | { t: 'meeting'; meeting: RoomMeeting; you?: Participant }
  | { t: 'speaker'; id: string | null }
  | { t: 'reaction'; id: string; emoji: string }
  | ({ t: 'chat' } & RoomChat)
  | { t: 'chat_history'; messages: RoomChat[] }
  | { t: 'muted_by_host'; by?: string }
  | { t: 'ask_unmute'; by?: string }
  | { t: 'video_stopped_by_host'; by?: string }
  | { t: 'pub_answer'; sdp: string }
  | { t: 'sub_offer'; sdp: string; tracks: Record<string, SubTrack> }
  | { t: 'error'; code: string; message: string };

export type MeetClientMessage =
  | { t: 'hello'; token: string }
  | { t: 'pub_offer'; sdp: string; tracks?: { mid: string; source: TrackSource }[] }
  | { t: 'sub_answer'; sdp: string }
  | { t: 'state'; mic: boolean; cam: boolean; screen: boolean }
  | { t: 'tracks'; tracks: { mid: string; source: TrackSource }[] }
  | { t: 'view'; tracks: Record<string, { w: number; h: number }> }
  | { t: 'mode'; data_saver: boolean; audio_only: boolean }
  | { t: 'hand'; up: boolean }
  | { t: 'reaction'; emoji: string }
  | { t: 'chat'; text: string }
  | { t: 'quality'; q: number }
  | { t: 'leave' };

export const REACTIONS = ['👍', '👏', '😂', '😮', '❤️', '🎉'] as const;
export const CHAT_MAX = 2000;
